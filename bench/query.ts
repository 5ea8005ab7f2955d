/**
 * `dv query` (`npm run bench -- --only query`): an aggregate over a
 * 2,000,000-row table (bench.parquet, 5 columns, one commit) against DuckDB
 * running the same SQL over the same object files (issue 12: within 1.2x).
 * Three figures: the `dv query` process against the DuckDB process, both wall
 * (the issue's bar: what a user at a terminal waits for); a second
 * Repository.query on an open repository (a pipeline's case: its engine open,
 * its files verified) against DuckDB's statement time; and, without a bar, the
 * first call in a fresh process, which also starts dv's engine and hashes the
 * files (the statement time includes neither). The note says whether dv and
 * DuckDB found the same result.
 */
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Repository } from '../src/index.js'
import { freshRepo, runDuck, runDv, runLibrary, sqlString, type BenchContext } from './harness.js'
import { median, type ProcessRun } from './measure.js'
import { dataFilePaths } from './object-files.js'
import { ratioOf, type Row } from './report.js'

// exact aggregates (a float sum's last digits depend on the order threads add in): counts, integer sums, rounded means, extremes
const SQL = 'SELECT category, count(*) AS n, sum(id) AS ids, round(avg(value), 3) AS mean, min(value) AS low, max(ts) AS last FROM events GROUP BY category ORDER BY category'

export const QUERY_BASELINES: Record<string, string> = {
  'duckdb-query': 'DuckDB (fresh process, default settings): the same SELECT over read_parquet of the table\'s object files, written as CSV to a file; statement time',
  'duckdb-query-process': 'the same DuckDB statement, wall time of the whole node process (node + DuckDB load + statement)',
}

export async function benchQuery(ctx: BenchContext): Promise<Row[]> {
  const dir = await freshRepo(ctx, 'query')
  const repo = await Repository.open(dir)
  let snapshot: string
  try {
    snapshot = (await repo.write('events', ctx.data.parquet, { commit: true, message: 'load' })).commit!.snapshot
  } finally {
    await repo.close()
  }
  const files = await dataFilePaths(join(dir, '.dv'), snapshot, 'events')
  const duckOut = join(ctx.work, 'query-duck.csv')
  const libOut = join(ctx.work, 'query-lib.csv')
  const duckSql = `COPY (${SQL.replace('FROM events', `FROM read_parquet([${files.map(sqlString).join(', ')}])`)}) TO ${sqlString(duckOut)} (FORMAT csv, HEADER true)`
  const lib: Array<ProcessRun & { callMs: number; againMs?: number; result: unknown }> = []
  const cli: ProcessRun[] = []
  const duck: Array<ProcessRun & { statementMs: number[] }> = []
  for (let i = 0; i < ctx.reps; i++) {
    lib.push(await runLibrary({ op: 'query', dir, sql: SQL, out: libOut }))
    duck.push(await runDuck([duckSql]))
    cli.push(await runDv(['-C', dir, 'query', SQL]))
  }
  const [dvText, duckText] = [await readFile(libOut, 'utf8'), await readFile(duckOut, 'utf8')]
  await Promise.all([libOut, duckOut].map((p) => rm(p, { force: true })))
  const agree = dvText.trim() === duckText.trim() && cli[0]!.stdout.trim() === duckText.trim()
  const libMs = median(lib.map((r) => r.callMs))
  const warmMs = median(lib.map((r) => r.againMs!))
  const cliMs = median(cli.map((r) => r.ms))
  const base = median(duck.map((d) => d.statementMs[0]!))
  const baseProcess = median(duck.map((d) => d.ms))
  ctx.log(`dv query aggregate over 2M rows: library ${libMs.toFixed(0)} ms (again ${warmMs.toFixed(0)} ms), cli ${cliMs.toFixed(0)} ms, DuckDB ${base.toFixed(0)} ms (process ${baseProcess.toFixed(0)} ms); same result: ${agree}`)
  const section = `dv query: an aggregate (GROUP BY category) over 2,000,000 rows in ${files.length} file(s) (median of ${ctx.reps})`
  const note = agree ? 'dv and DuckDB print the same CSV' : `results differ:\n${dvText}\nvs\n${duckText}`
  return [
    {
      section, figure: 'dv query "SQL" (CLI wall) vs the DuckDB process (wall)', dv: cliMs, unit: 'ms',
      baselineName: 'duckdb-query-process', baseline: baseProcess, ratio: ratioOf(cliMs, baseProcess, 'ms'), target: '<= 1.2x', pass: cliMs / baseProcess <= 1.2 && agree,
      rssMiB: Math.max(...cli.map((r) => r.rssMiB)), baselineRssMiB: Math.max(...duck.map((d) => d.rssMiB)), note,
      samples: cli.map((r) => r.ms), baselineSamples: duck.map((d) => d.ms),
    },
    {
      section, figure: 'Repository.query again on the open repository vs DuckDB over the same files (statement)', dv: warmMs, unit: 'ms',
      baselineName: 'duckdb-query', baseline: base, ratio: ratioOf(warmMs, base, 'ms'), target: '<= 1.2x', pass: warmMs / base <= 1.2 && agree,
      samples: lib.map((r) => r.againMs!), baselineSamples: duck.map((d) => d.statementMs[0]!),
    },
    {
      section, figure: 'Repository.query, first call in a fresh process (starts the engine, hashes the files) vs the statement', dv: libMs, unit: 'ms',
      baselineName: 'duckdb-query', baseline: base, ratio: ratioOf(libMs, base, 'ms'),
      rssMiB: Math.max(...lib.map((r) => r.rssMiB)), baselineRssMiB: Math.max(...duck.map((d) => d.rssMiB)),
      samples: lib.map((r) => r.callMs), baselineSamples: duck.map((d) => d.statementMs[0]!),
    },
  ]
}
