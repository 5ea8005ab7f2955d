/**
 * One library call in a fresh process, timed inside it (so it pays the same
 * cold-process costs as the CLI and the DuckDB baseline, without node
 * startup or loading the DuckDB module): `node lib-child.js JSON` with
 * {op: 'write', dir, table, source, options}, {op: 'cat', dir, table, out, options},
 * {op: 'diff', dir, table, out, options} (diffRowsTo), {op: 'diff-stat', dir, options} (diff) or
 * {op: 'query', dir, sql, out}. Prints {"ms": ..., "result": ...} on stdout; a query also times a
 * second call on the same repository (`againMs`: its engine open, its files verified).
 */
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import type { CatOptions, DiffOptions, DiffRowsToOptions, WriteOptions } from '../src/index.js'

type Request =
  | { op: 'write'; dir: string; table: string; source: string; options: WriteOptions }
  | { op: 'cat'; dir: string; table: string; out: string; options: CatOptions }
  | { op: 'diff'; dir: string; table: string; out: string; options: DiffRowsToOptions }
  | { op: 'diff-stat'; dir: string; options: DiffOptions }
  | { op: 'query'; dir: string; sql: string; out: string }

const request = JSON.parse(process.argv[2]) as Request
// Load DuckDB's module before timing (the baseline's statement time excludes it too);
// dv's own instance is still created inside the call.
const { DuckDBInstance } = await import('@duckdb/node-api')
;(await DuckDBInstance.create(':memory:')).closeSync()
const { Repository } = await import('../src/index.js')
const repo = await Repository.open(request.dir)
const started = performance.now()
let result: unknown
if (request.op === 'write') {
  result = await repo.write(request.table, request.source, request.options)
} else if (request.op === 'diff-stat') {
  result = (await repo.diff(request.options)).tables.length
} else {
  const out = createWriteStream(request.out)
  result = request.op === 'cat'
    ? await repo.cat(request.table, out, request.options)
    : request.op === 'query'
      ? await repo.query(request.sql, out)
      : await repo.diffRowsTo(request.table, out, request.options)
  out.end()
  await finished(out)
}
const ms = performance.now() - started
let againMs: number | undefined
if (request.op === 'query') {
  const out = createWriteStream(request.out)
  const again = performance.now()
  await repo.query(request.sql, out)
  out.end()
  await finished(out)
  againMs = performance.now() - again
}
await repo.close()
process.stdout.write(`${JSON.stringify({ ms, result, againMs })}\n`)
