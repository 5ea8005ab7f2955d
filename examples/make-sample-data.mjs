#!/usr/bin/env node
/**
 * Writes the sample data of README.md (the tour and the pipelines) into DIR
 * (default: .); test/cli/readme.test.ts runs the README on it:
 *   events.csv     3000 events over 2026-01-01..03 (id, ts, user_id, kind, amount)
 *   users.ndjson   40 users (user_id, name, country)
 *   more.parquet   500 more events on 2026-01-04, same columns
 *   fix.csv        a rewrite of the first 1000 events (amounts corrected)
 *   march.csv      3000 events over 2026-03-01..03
 *   march-02.csv   a corrected 2026-03-02 (for --mode replace-partitions)
 *   users.csv      5 renamed and 5 new users (for --mode upsert --key user_id)
 *   q1.csv         every Q1 event without refunds, amounts rounded (for --mode overwrite --where)
 *   jan-fix.csv    a backfill of 2026-01-02 and 2026-01-03 (amounts corrected)
 *   late.csv       100 late events on 2026-01-05
 *   jan4-fix.csv   a backfill of 2026-01-04 (amounts corrected)
 *   late-jan4.csv  10 late events on 2026-01-04
 * Usage: node examples/make-sample-data.mjs [DIR]
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'

const dir = path.resolve(process.argv[2] ?? '.')
mkdirSync(dir, { recursive: true })
const file = (name) => `'${path.join(dir, name).replaceAll("'", "''")}'`

// Pure functions of the row number, so every run writes the same bytes.
const events = (from, count, start) => `
  SELECT i::BIGINT AS id,
         TIMESTAMP '${start}' + to_seconds(((i - ${from}) * 86)::BIGINT) AS ts,
         ((i * 7919) % 40 + 1)::INTEGER AS user_id,
         (['view', 'click', 'purchase', 'refund'])[(i * 31) % 4 + 1] AS kind,
         round(((i * 37) % 10000) / 100.0 + 0.25, 2)::DOUBLE AS amount
  FROM range(${from}, ${from + count}) t(i)
  ORDER BY id`

// Q1 as loaded by the README: January (events.csv, more.parquet) and March (march.csv, with march-02.csv's day)
const march = events(10000, 3000, '2026-03-01 00:00:00')
const q1 = `(${events(0, 3000, '2026-01-01 00:00:00')}) UNION ALL (${events(3000, 500, '2026-01-04 00:00:00')}) UNION ALL (${march})`

const statements = [
  `COPY (${events(0, 3000, '2026-01-01 00:00:00')}) TO ${file('events.csv')} (FORMAT csv, HEADER)`,
  `COPY (${events(3000, 500, '2026-01-04 00:00:00')}) TO ${file('more.parquet')} (FORMAT parquet)`,
  `COPY (SELECT id, ts, user_id, kind, round(amount * 1.1, 2)::DOUBLE AS amount FROM (${events(0, 1000, '2026-01-01 00:00:00')}) ORDER BY id)
     TO ${file('fix.csv')} (FORMAT csv, HEADER)`,
  `COPY (SELECT id, ts, user_id, kind, round(amount * 1.1, 2)::DOUBLE AS amount FROM (${events(0, 3000, '2026-01-01 00:00:00')}) WHERE ts >= TIMESTAMP '2026-01-02' ORDER BY id)
     TO ${file('jan-fix.csv')} (FORMAT csv, HEADER)`,
  `COPY (${events(3500, 100, '2026-01-05 00:00:00')}) TO ${file('late.csv')} (FORMAT csv, HEADER)`,
  `COPY (SELECT id, ts, user_id, kind, round(amount * 1.1, 2)::DOUBLE AS amount FROM (${events(3000, 500, '2026-01-04 00:00:00')}) ORDER BY id)
     TO ${file('jan4-fix.csv')} (FORMAT csv, HEADER)`,
  `COPY (${events(3600, 10, '2026-01-04 12:00:00')}) TO ${file('late-jan4.csv')} (FORMAT csv, HEADER)`,
  `COPY (SELECT (i + 1)::INTEGER AS user_id, 'user' || (i + 1) AS name,
                (['DE', 'FR', 'US', 'JP', 'BR'])[i % 5 + 1] AS country
         FROM range(0, 40) t(i) ORDER BY user_id)
     TO ${file('users.ndjson')} (FORMAT json)`,
  `COPY (${march}) TO ${file('march.csv')} (FORMAT csv, HEADER)`,
  `COPY (SELECT id, ts, user_id, kind, round(amount * 0.9, 2)::DOUBLE AS amount FROM (${march})
         WHERE ts >= TIMESTAMP '2026-03-02' AND ts < TIMESTAMP '2026-03-03' ORDER BY id)
     TO ${file('march-02.csv')} (FORMAT csv, HEADER)`,
  `COPY (SELECT (i + 1)::INTEGER AS user_id, 'user' || (i + 1) || CASE WHEN i < 40 THEN '-renamed' ELSE '' END AS name,
                (['DE', 'FR', 'US', 'JP', 'BR'])[i % 5 + 1] AS country
         FROM range(35, 45) t(i) ORDER BY user_id)
     TO ${file('users.csv')} (FORMAT csv, HEADER)`,
  `COPY (SELECT id, ts, user_id, kind, round(amount)::DOUBLE AS amount FROM (${q1}) WHERE kind <> 'refund' ORDER BY id)
     TO ${file('q1.csv')} (FORMAT csv, HEADER)`,
]

const instance = await DuckDBInstance.create(':memory:', { threads: '1' })
const connection = await instance.connect()
try {
  for (const sql of statements) await connection.run(sql)
} finally {
  connection.closeSync()
  instance.closeSync()
}
console.log(`wrote events.csv users.ndjson more.parquet fix.csv march.csv march-02.csv users.csv q1.csv jan-fix.csv late.csv jan4-fix.csv late-jan4.csv to ${dir}`)
