/**
 * Figure 4: a full time-travel read (`dv cat --at <first snapshot>`) to
 * Parquet and to CSV, against DuckDB COPYing the same object files.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Repository } from '../src/index.js'
import { runDuck, runDv, runLibrary, sqlString, type BenchContext } from './harness.js'
import { median, type ProcessRun } from './measure.js'
import { dataFilePaths } from './object-files.js'
import { ratioOf, type Row } from './report.js'

const BASELINE_OPTIONS = { parquet: 'FORMAT parquet, COMPRESSION zstd', csv: 'FORMAT csv, HEADER true' } as const
const maxRss = (runs: ProcessRun[]) => Math.max(...runs.map((r) => r.rssMiB))

/** `repoDir` holds table `bench` with one commit; this adds a second so the read is of the past. */
export async function benchTimeTravelRead(ctx: BenchContext, repoDir: string): Promise<Row[]> {
  const repo = await Repository.open(repoDir)
  let first: string
  try {
    first = (await repo.log({ limit: 1 }))[0].snapshot
    await repo.write('bench', ctx.data.oneRow, { commit: true, message: 'one more row' })
  } finally {
    await repo.close()
  }
  const files = await dataFilePaths(join(repoDir, '.dv'), first, 'bench')
  const list = `[${files.map(sqlString).join(', ')}]`
  const rows: Row[] = []
  for (const format of ['parquet', 'csv'] as const) {
    const out = join(ctx.work, `cat-out.${format}`)
    const baseOut = join(ctx.work, `baseline-out.${format}`)
    const cli: ProcessRun[] = []
    const lib: Array<ProcessRun & { callMs: number }> = []
    const duck: Array<ProcessRun & { statementMs: number[] }> = []
    for (let i = 0; i < ctx.reps; i++) {
      cli.push(await runDv(['-C', repoDir, 'cat', 'bench', '--at', first, '--format', format], { stdoutFile: out }))
      duck.push(await runDuck([`COPY (SELECT * FROM read_parquet(${list})) TO ${sqlString(baseOut)} (${BASELINE_OPTIONS[format]})`]))
      lib.push(await runLibrary({ op: 'cat', dir: repoDir, table: 'bench', out, options: { at: first, format } }))
    }
    await rm(out, { force: true })
    await rm(baseOut, { force: true })
    const base = median(duck.map((d) => d.statementMs[0]))
    const cliMs = median(cli.map((r) => r.ms))
    const libMs = median(lib.map((r) => r.callMs))
    ctx.log(`cat --format ${format}: cli ${cliMs.toFixed(0)} ms, library ${libMs.toFixed(0)} ms, duckdb ${base.toFixed(0)} ms`)
    const section = `Time-travel read of ${files.length} file(s), 2M rows (median of ${ctx.reps})`
    rows.push(
      {
        section, figure: `dv cat --at FIRST --format ${format} > file (CLI wall) vs DuckDB COPY`, dv: cliMs, unit: 'ms',
        baselineName: `duckdb-read-${format}`, baseline: base, ratio: ratioOf(cliMs, base, 'ms'), target: '<= 1.3x', pass: cliMs / base <= 1.3,
        rssMiB: maxRss(cli), baselineRssMiB: maxRss(duck), samples: cli.map((r) => r.ms), baselineSamples: duck.map((d) => d.statementMs[0]),
      },
      {
        section, figure: `Repository.cat --format ${format} (in a fresh process) vs DuckDB COPY`, dv: libMs, unit: 'ms',
        baselineName: `duckdb-read-${format}`, baseline: base, ratio: ratioOf(libMs, base, 'ms'), target: '<= 1.3x', pass: libMs / base <= 1.3,
        rssMiB: maxRss(lib), samples: lib.map((r) => r.callMs),
      },
    )
  }
  return rows
}
