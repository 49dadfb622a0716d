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
  {
    version: 3,
    name: 'rollups',
    sql: `
      -- Minute ('m') and hour ('h') aggregates per offering × prompt bucket × source.
      -- Counts and sums are exact; h_* are HDR histograms (compressed base64), merged, never averaged.
      CREATE TABLE rollups (
        tier           TEXT NOT NULL CHECK (tier IN ('m', 'h')),
        start_ms       INTEGER NOT NULL,
        offering       TEXT NOT NULL,
        prompt_bucket  TEXT NOT NULL,
        source         TEXT NOT NULL,
        n              INTEGER NOT NULL,
        n_ok           INTEGER NOT NULL,
        n_provider_err INTEGER NOT NULL,
        n_quota        INTEGER NOT NULL,
        n_good         INTEGER NOT NULL,
        outcomes       TEXT NOT NULL,
        in_tokens      INTEGER NOT NULL,
        out_tokens     INTEGER NOT NULL,
        cost_usd       REAL NOT NULL,
        ttft_n INTEGER NOT NULL, ttft_sum REAL NOT NULL, ttft_sumsq REAL NOT NULL,
        tps_n  INTEGER NOT NULL, tps_sum  REAL NOT NULL, tps_sumsq  REAL NOT NULL,
        h_ttft TEXT, h_ttfat TEXT, h_e2e TEXT, h_tpot TEXT, h_tps TEXT,
        PRIMARY KEY (tier, start_ms, offering, prompt_bucket, source)
      ) STRICT, WITHOUT ROWID;
      -- Small facts the store keeps about itself (the roll-up watermark).
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    `,
  },
]
