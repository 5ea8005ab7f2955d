/**
 * The DuckDB baseline in a process of its own (so its peak RSS is its own):
 * `node duck-child.js SQL...` opens an in-memory DuckDB with default
 * settings, runs each statement, and prints one JSON line
 * {"openMs": ..., "ms": [...per statement]} (in-process times). An
 * argument `@FILE` is the statement held in FILE (long file lists exceed
 * the 128 KiB limit of one argument).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const statements = process.argv.slice(2).map((a) => (a.startsWith('@') ? readFileSync(a.slice(1), 'utf8') : a))
const started = performance.now()
// require(), as dv loads it: under import() Node 20 lexes each of the package's CommonJS files
// for its exports, 0.1-0.2 s a process that would flatter dv in the process figures
const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api')
const instance = await DuckDBInstance.create(':memory:')
const connection = await instance.connect()
const openMs = performance.now() - started
const ms: number[] = []
for (const sql of statements) {
  const t = performance.now()
  await connection.run(sql)
  ms.push(performance.now() - t)
}
connection.closeSync()
instance.closeSync()
process.stdout.write(`${JSON.stringify({ openMs, ms })}\n`)
