/**
 * The DuckDB baseline in a process of its own (so its peak RSS is its own):
 * `node duck-child.js SQL...` opens an in-memory DuckDB with default
 * settings, runs each statement, and prints one JSON line
 * {"openMs": ..., "ms": [...per statement]} (in-process times).
 */
const statements = process.argv.slice(2)
const started = performance.now()
const { DuckDBInstance } = await import('@duckdb/node-api')
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
