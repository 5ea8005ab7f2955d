/**
 * One library call in a fresh process, timed inside it (so it pays the same
 * cold-process costs as the CLI and the DuckDB baseline, without node
 * startup or loading the DuckDB module): `node lib-child.js JSON` with
 * {op: 'write', dir, table, source, options}, {op: 'cat', dir, table, out, options},
 * {op: 'diff', dir, table, out, options} (diffRowsTo) or {op: 'diff-stat', dir, options} (diff).
 * Prints {"ms": ..., "result": ...} on stdout.
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
await repo.close()
process.stdout.write(`${JSON.stringify({ ms, result })}\n`)
