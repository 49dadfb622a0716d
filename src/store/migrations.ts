/**
 * Versioned schema migrations, applied in order, each in its own transaction
 * with `PRAGMA user_version`. Append-only: never edit a migration that has
 * shipped; add the next number instead.
 */
import type { Database } from 'better-sqlite3'
import { decodeFromCompressedBase64 } from 'hdr-histogram-js'
import { Aggregate, type RollupRow } from '../stats/aggregate.js'
import { encode, percentile } from '../stats/histogram.js'

export interface Migration {
  version: number
  name: string
  sql: string
  /** Work SQL cannot do (re-encoding histograms), run after `sql` in the same transaction. */
  up?: (db: Database) => void
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
  {
    version: 4,
    name: 'compact samples; hour and day rollups',
    sql: `
      -- The six strings that identify what a sample measured, stored once.
      CREATE TABLE series (
        id            INTEGER PRIMARY KEY,
        offering      TEXT NOT NULL,
        provider      TEXT NOT NULL,
        model         TEXT NOT NULL,
        region        TEXT NOT NULL,
        source        TEXT NOT NULL,
        prompt_bucket TEXT NOT NULL,
        UNIQUE (offering, provider, model, region, source, prompt_bucket)
      ) STRICT;
      INSERT INTO series (offering, provider, model, region, source, prompt_bucket)
        SELECT DISTINCT offering, provider, model, region, source, prompt_bucket FROM samples;

      -- Durations in integer µs, rates in thousandths (1–4 bytes each instead of 8);
      -- seq is commit order. See sample_view for METRICS.md names and units.
      CREATE TABLE samples_v4 (
        seq              INTEGER PRIMARY KEY,
        id               ANY NOT NULL,
        ts_ms            INTEGER NOT NULL,
        series           INTEGER NOT NULL REFERENCES series (id),
        t_sched_us       INTEGER NOT NULL,
        flags            TEXT NOT NULL,
        start_lag_us     INTEGER NOT NULL,
        connect_us       INTEGER,
        ttfb_us          INTEGER,
        ttft_us          INTEGER,
        ttfat_us         INTEGER,
        e2e_us           INTEGER,
        decode_us        INTEGER,
        tpot_us          INTEGER,
        output_mtps      INTEGER,
        e2e_mtps         INTEGER,
        gap_p50_us       INTEGER,
        gap_p99_us       INTEGER,
        gap_max_us       INTEGER,
        in_tokens        INTEGER,
        out_tokens       INTEGER,
        reasoning_tokens INTEGER,
        ref_out_tokens   INTEGER,
        usage_diff_mpct  INTEGER,
        usage_source     TEXT,
        cost_usd         REAL,
        outcome          TEXT NOT NULL,
        blame            TEXT,
        http_status      INTEGER,
        error_message    TEXT,
        censored_us      INTEGER,
        retry_after_us   INTEGER
      ) STRICT;
      INSERT INTO samples_v4
        SELECT s.rowid,
          CASE WHEN s.id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-*' AND length(s.id) = 36
               THEN unhex(replace(s.id, '-', '')) ELSE s.id END,
          s.ts_ms, x.id, CAST(round((s.t_sched - s.ts_ms) * 1000) AS INTEGER), s.flags,
          CAST(round(s.start_lag_ms * 1000) AS INTEGER), CAST(round(s.connect_ms * 1000) AS INTEGER),
          CAST(round(s.ttfb_ms * 1000) AS INTEGER), CAST(round(s.ttft_ms * 1000) AS INTEGER),
          CAST(round(s.ttfat_ms * 1000) AS INTEGER), CAST(round(s.e2e_ms * 1000) AS INTEGER),
          CAST(round(s.decode_ms * 1000) AS INTEGER), CAST(round(s.tpot_ms * 1000) AS INTEGER),
          CAST(round(s.output_tps * 1000) AS INTEGER), CAST(round(s.e2e_tps * 1000) AS INTEGER),
          CAST(round(s.gap_p50_ms * 1000) AS INTEGER), CAST(round(s.gap_p99_ms * 1000) AS INTEGER),
          CAST(round(s.gap_max_ms * 1000) AS INTEGER),
          s.in_tokens, s.out_tokens, s.reasoning_tokens, s.ref_out_tokens,
          CAST(round(s.usage_diff_pct * 1000) AS INTEGER), s.usage_source, s.cost_usd,
          s.outcome, s.blame, s.http_status, s.error_message,
          CAST(round(s.censored_ms * 1000) AS INTEGER), CAST(round(s.retry_after_ms * 1000) AS INTEGER)
        FROM samples s JOIN series x USING (offering, provider, model, region, source, prompt_bucket);
      DROP TABLE samples;
      ALTER TABLE samples_v4 RENAME TO samples;
      -- One index: windows and retention read by time; roll-up follows seq.
      CREATE INDEX samples_ts ON samples (ts_ms);

      -- The same rows in METRICS.md names and units, for people with a sqlite3 shell.
      CREATE VIEW sample_view AS
        SELECT s.seq,
          CASE WHEN typeof(s.id) = 'blob' THEN lower(substr(hex(s.id), 1, 8) || '-' || substr(hex(s.id), 9, 4) || '-' ||
            substr(hex(s.id), 13, 4) || '-' || substr(hex(s.id), 17, 4) || '-' || substr(hex(s.id), 21)) ELSE s.id END AS id, s.ts_ms,
          x.offering, x.provider, x.model, x.region, x.source, x.prompt_bucket,
          s.ts_ms + s.t_sched_us / 1000.0 AS t_sched, s.start_lag_us / 1000.0 AS start_lag_ms,
          s.connect_us / 1000.0 AS connect_ms, s.ttfb_us / 1000.0 AS ttfb_ms, s.ttft_us / 1000.0 AS ttft_ms,
          s.ttfat_us / 1000.0 AS ttfat_ms, s.e2e_us / 1000.0 AS e2e_ms, s.decode_us / 1000.0 AS decode_ms,
          s.tpot_us / 1000.0 AS tpot_ms, s.output_mtps / 1000.0 AS output_tps, s.e2e_mtps / 1000.0 AS e2e_tps,
          s.gap_p50_us / 1000.0 AS gap_p50_ms, s.gap_p99_us / 1000.0 AS gap_p99_ms, s.gap_max_us / 1000.0 AS gap_max_ms,
          s.in_tokens, s.out_tokens, s.reasoning_tokens, s.ref_out_tokens, s.usage_diff_mpct / 1000.0 AS usage_diff_pct,
          s.usage_source, s.cost_usd, s.outcome, s.blame, s.http_status, s.error_message,
          s.censored_us / 1000.0 AS censored_ms, s.retry_after_us / 1000.0 AS retry_after_ms, s.flags
        FROM samples s JOIN series x ON x.id = s.series;

      -- Hours ('h') and days ('d') per offering × prompt bucket × source, written when the
      -- period is sealed. h_* are HdrHistogram V2 encodings (uncompressed); the p50/p90
      -- columns serve series over time (cv_time, SLA buckets, hour of day) without them.
      CREATE TABLE rollups_v4 (
        tier           TEXT NOT NULL CHECK (tier IN ('h', 'd')),
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
        ttft_p50 REAL, ttft_p90 REAL, tps_p50 REAL,
        h_ttft BLOB, h_ttfat BLOB, h_e2e BLOB, h_tpot BLOB, h_tps BLOB
      ) STRICT;
      -- Per offering and sealed hour: the hourly medians behind cv_time and hour-of-day
      -- profiles, and the 5-minute SLA buckets judged and held (see stats/hour-figures.ts).
      CREATE TABLE hour_figures (
        start_ms       INTEGER NOT NULL,
        offering       TEXT NOT NULL,
        n_ok           INTEGER NOT NULL,
        n_provider_err INTEGER NOT NULL,
        ttft_p50 REAL, ttft_p90 REAL, tps_p50 REAL,
        sla_judged     INTEGER NOT NULL,
        sla_held       INTEGER NOT NULL,
        PRIMARY KEY (start_ms, offering)
      ) STRICT, WITHOUT ROWID;
    `,
    up(db) {
      // Hour rows carry over, re-encoded; minute rows are dropped: the raw samples behind
      // them (kept 14 days by default) are rolled up again from the sealed mark on.
      const hours = db.prepare("SELECT * FROM rollups WHERE tier = 'h' ORDER BY start_ms").all() as Record<string, unknown>[]
      const cols = ['tier', 'start_ms', 'offering', 'prompt_bucket', 'source', 'n', 'n_ok', 'n_provider_err', 'n_quota', 'n_good', 'outcomes', 'in_tokens', 'out_tokens', 'cost_usd', 'ttft_n', 'ttft_sum', 'ttft_sumsq', 'tps_n', 'tps_sum', 'tps_sumsq']
      const insert = db.prepare(`INSERT INTO rollups_v4 (${cols.join(', ')}, ttft_p50, ttft_p90, tps_p50, h_ttft, h_ttfat, h_e2e, h_tpot, h_tps) VALUES (${cols.map(() => '?').join(', ')}, ?, ?, ?, ?, ?, ?, ?, ?)`)
      let sealed = 0
      for (const r of hours) {
        const h = Object.fromEntries(['ttft', 'ttfat', 'e2e', 'tpot', 'tps'].map((k) => [k, typeof r[`h_${k}`] === 'string' ? decodeFromCompressedBase64(r[`h_${k}`] as string, 32, false) : null]))
        const p = (k: string, q: number) => (h[k] ? percentile(h[k], q) : null)
        insert.run(...cols.map((c) => r[c]), p('ttft', 50), p('ttft', 90), p('tps', 50), ...['ttft', 'ttfat', 'e2e', 'tpot', 'tps'].map((k) => (h[k] ? encode(h[k]) : null)))
        for (const x of Object.values(h)) x?.destroy()
        sealed = Math.max(sealed, (r.start_ms as number) + 3_600_000)
      }
      // Day rows from the hours, so every sealed day has one; hour figures per offering
      // (medians exact; the 5-minute SLA detail is gone, so those hours judge no bucket).
      const byDay = new Map<string, Aggregate>()
      const byHour = new Map<string, Aggregate>()
      const merge = (into: Map<string, Aggregate>, key: string, r: RollupRow) => {
        let agg = into.get(key)
        if (!agg) into.set(key, (agg = new Aggregate()))
        agg.addRow(r)
      }
      const hourRows = db.prepare("SELECT * FROM rollups_v4 WHERE tier = 'h'").all() as (RollupRow & { outcomes: string })[]
      for (const stored of hourRows) {
        const r = { ...stored, outcomes: JSON.parse(stored.outcomes) as Record<string, number> }
        merge(byDay, JSON.stringify([Math.floor(r.start_ms / 86_400_000) * 86_400_000, r.offering, r.prompt_bucket, r.source]), r)
        merge(byHour, JSON.stringify([r.start_ms, r.offering]), r)
      }
      const insertFigures = db.prepare('INSERT INTO hour_figures VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)')
      for (const [key, agg] of byHour) {
        const [start, offering] = JSON.parse(key) as [number, string]
        const f = agg.figures()
        insertFigures.run(start, offering, agg.counts.n_ok, agg.counts.n_provider_err, f.ttft_p50, f.ttft_p90, f.tps_p50)
        agg.destroy()
      }
      for (const [key, agg] of byDay) {
        const [day, offering, bucket, source] = JSON.parse(key) as [number, string, string, string]
        const c = agg.counts
        const f = agg.figures()
        const e = agg.encoded()
        insert.run('d', day, offering, bucket, source, c.n, c.n_ok, c.n_provider_err, c.n_quota, c.n_good, JSON.stringify(c.outcomes), c.in_tokens, c.out_tokens, c.cost_usd, c.ttft_n, c.ttft_sum, c.ttft_sumsq, c.tps_n, c.tps_sum, c.tps_sumsq, f.ttft_p50, f.ttft_p90, f.tps_p50, e.h_ttft, e.h_ttfat, e.h_e2e, e.h_tpot, e.h_tps)
        agg.destroy()
      }
      db.exec(`
        DROP TABLE rollups;
        ALTER TABLE rollups_v4 RENAME TO rollups;
        CREATE UNIQUE INDEX rollups_key ON rollups (tier, start_ms, offering, prompt_bucket, source);
      `)
      db.prepare("INSERT INTO meta (key, value) VALUES ('sealed_until', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(sealed))
      db.prepare("DELETE FROM meta WHERE key = 'rollup_watermark'").run()
    },
  },
]
