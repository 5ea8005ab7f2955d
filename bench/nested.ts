/**
 * Nested NDJSON ingest: 1,000,000 events (a struct of 3 fields, a list of
 * strings, a map) written by `dv write --commit` against DuckDB's own
 * `COPY (SELECT * FROM read_json(...)) TO ... (FORMAT parquet, COMPRESSION zstd)`
 * of the same file. dv does what the COPY does plus field ids at every depth,
 * the null counts of nested fields (one aggregate over the written file), the
 * read-back and the commit. Repetitions alternate dv and the baseline.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { freshRepo, runDuck, runDv, sqlString, type BenchContext } from './harness.js'
import { median, type ProcessRun } from './measure.js'
import { ratioOf, type Row } from './report.js'
import { NESTED_ROWS } from './data.js'

const maxRss = (runs: ProcessRun[]) => Math.max(...runs.map((r) => r.rssMiB))

export async function benchNestedIngest(ctx: BenchContext): Promise<Row[]> {
  const { events } = ctx.data
  const out = join(ctx.work, 'baseline-events.parquet')
  const baselineSql = `COPY (SELECT * FROM read_json(${sqlString(events)})) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`
  const cli: ProcessRun[] = []
  const duck: Array<ProcessRun & { statementMs: number[] }> = []
  for (let i = 0; i < ctx.reps; i++) {
    const repo = await freshRepo(ctx, 'events-cli')
    cli.push(await runDv(['-C', repo, 'write', 'events', events, '--commit', '-m', 'x']))
    await rm(repo, { recursive: true, force: true })
    duck.push(await runDuck([baselineSql]))
    await rm(out, { force: true })
    ctx.log(`nested ndjson ingest ${i + 1}/${ctx.reps}: dv cli ${cli[i].ms.toFixed(0)} ms, duckdb copy ${duck[i].statementMs[0].toFixed(0)} ms (process ${duck[i].ms.toFixed(0)} ms)`)
  }
  const base = median(duck.map((d) => d.statementMs[0]))
  const baseWall = median(duck.map((d) => d.ms))
  const cliMs = median(cli.map((r) => r.ms))
  const section = `Nested NDJSON ingest, ${NESTED_ROWS.toLocaleString('en')} events (median of ${ctx.reps})`
  return [
    {
      section, figure: 'dv write --commit (CLI process wall) vs DuckDB COPY read_json (in-process)', dv: cliMs, unit: 'ms',
      baselineName: 'duckdb-copy-json', baseline: base, ratio: ratioOf(cliMs, base, 'ms'), target: '<= 1.5x',
      pass: cliMs / base <= 1.5, rssMiB: maxRss(cli), baselineRssMiB: maxRss(duck), samples: cli.map((r) => r.ms), baselineSamples: duck.map((d) => d.statementMs[0]),
    },
    {
      section, figure: 'dv write --commit (CLI wall) vs DuckDB COPY read_json process wall', dv: cliMs, unit: 'ms',
      baselineName: 'duckdb-copy-json-process', baseline: baseWall, ratio: ratioOf(cliMs, baseWall, 'ms'), baselineSamples: duck.map((d) => d.ms),
    },
  ]
}
