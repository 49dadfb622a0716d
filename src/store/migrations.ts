/**
 * Versioned schema migrations, applied in order, each in its own transaction
 * with `PRAGMA user_version`. Append-only: never edit a migration that has
 * shipped; add the next number instead.
 */
export interface Migration {
  version: number
  name: string
  sql: string
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'samples',
    sql: `
      CREATE TABLE samples (
        id               TEXT PRIMARY KEY,
        ts_ms            INTEGER NOT NULL,
        offering         TEXT NOT NULL,
        provider         TEXT NOT NULL,
        model            TEXT NOT NULL,
        region           TEXT NOT NULL,
        source           TEXT NOT NULL,
        prompt_bucket    TEXT NOT NULL,
        t_sched          REAL NOT NULL,
        start_lag_ms     REAL NOT NULL,
        connect_ms       REAL,
        ttfb_ms          REAL,
        ttft_ms          REAL,
        ttfat_ms         REAL,
        e2e_ms           REAL,
        decode_ms        REAL,
        tpot_ms          REAL,
        output_tps       REAL,
        e2e_tps          REAL,
        gap_p50_ms       REAL,
        gap_p99_ms       REAL,
        gap_max_ms       REAL,
        in_tokens        INTEGER,
        out_tokens       INTEGER,
        reasoning_tokens INTEGER,
        ref_out_tokens   INTEGER,
        usage_diff_pct   REAL,
        usage_source     TEXT,
        cost_usd         REAL,
        outcome          TEXT NOT NULL,
        blame            TEXT,
        http_status      INTEGER,
        error_message    TEXT,
        censored_ms      REAL
      ) STRICT;
      CREATE INDEX samples_ts ON samples (ts_ms);
      CREATE INDEX samples_offering_ts ON samples (offering, ts_ms);
    `,
  },
  {
    version: 2,
    name: 'sample flags and retry-after',
    sql: `
      ALTER TABLE samples ADD COLUMN retry_after_ms REAL;
      ALTER TABLE samples ADD COLUMN flags TEXT NOT NULL DEFAULT '';
    `,
  },
]
