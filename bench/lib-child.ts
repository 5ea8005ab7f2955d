/**
 * One library call in a fresh process, timed inside it (so it pays the same
 * cold-process costs as the CLI and the DuckDB baseline, without node
 * startup or loading the DuckDB module): `node lib-child.js JSON` with
 * {op: 'write', dir, table, source, options} or {op: 'cat', dir, table, out, options}.
 * Prints {"ms": ...} on stdout.
 */
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import type { CatOptions, WriteOptions } from '../src/index.js'

type Request =
  | { op: 'write'; dir: string; table: string; source: string; options: WriteOptions }
  | { op: 'cat'; dir: string; table: string; out: string; options: CatOptions }

const request = JSON.parse(process.argv[2]) as Request
// Load DuckDB's module before timing (the baseline's statement time excludes it too);
// dv's own instance is still created inside the call.
const { DuckDBInstance } = await import('@duckdb/node-api')
;(await DuckDBInstance.create(':memory:')).closeSync()
const { Repository } = await import('../src/index.js')
const repo = await Repository.open(request.dir)
const started = performance.now()
if (request.op === 'write') {
  await repo.write(request.table, request.source, request.options)
} else {
  const out = createWriteStream(request.out)
  await repo.cat(request.table, out, request.options)
  out.end()
  await finished(out)
}
const ms = performance.now() - started
await repo.close()
process.stdout.write(`${JSON.stringify({ ms })}\n`)
