#!/usr/bin/env node
/**
 * Writes the quickstart's deterministic sample data into DIR (default: .):
 *   events.csv    3000 events over 2026-01-01..03 (id, ts, user_id, kind, amount)
 *   users.ndjson  40 users (user_id, name, country)
 *   more.parquet  500 more events on 2026-01-04, same columns
 *   fix.csv       a rewrite of the first 1000 events (amounts corrected)
 *   jan-fix.csv   a backfill of 2026-01-02 and 2026-01-03 (amounts corrected)
 *   late.csv      100 late events on 2026-01-05
 *   jan4-fix.csv  a backfill of 2026-01-04 (amounts corrected)
 *   late-jan4.csv 10 late events on 2026-01-04
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
]

const instance = await DuckDBInstance.create(':memory:', { threads: '1' })
const connection = await instance.connect()
try {
  for (const sql of statements) await connection.run(sql)
} finally {
  connection.closeSync()
  instance.closeSync()
}
console.log(`wrote events.csv users.ndjson more.parquet fix.csv jan-fix.csv late.csv jan4-fix.csv late-jan4.csv to ${dir}`)
