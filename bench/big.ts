/**
 * `--big`: a CSV larger than 4 GiB ingested by `dv write --commit` with its
 * peak RSS (target < 1 GiB), next to DuckDB's own COPY of it. The CSV and
 * the repository are deleted afterwards.
 */
import { rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateBigCsv, removeFile } from './data.js'
import { freshRepo, runDuck, runDv, sqlString, type BenchContext } from './harness.js'
import type { Row } from './report.js'

export async function benchBig(ctx: BenchContext): Promise<Row[]> {
  const csv = await generateBigCsv(ctx.log)
  const repo = await freshRepo(ctx, 'big')
  const out = join(ctx.work, 'big-baseline.parquet')
  try {
    const size = (await stat(csv)).size
    const dv = await runDv(['-C', repo, 'write', 'big', csv, '--commit', '-m', 'big'])
    await rm(repo, { recursive: true, force: true })
    const duck = await runDuck([`COPY (SELECT * FROM read_csv(${sqlString(csv)})) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`])
    ctx.log(`big csv (${(size / 2 ** 30).toFixed(2)} GiB): dv ${dv.ms.toFixed(0)} ms at ${dv.rssMiB.toFixed(0)} MiB; duckdb ${duck.statementMs[0].toFixed(0)} ms at ${duck.rssMiB.toFixed(0)} MiB`)
    const section = `--big: ${(size / 2 ** 30).toFixed(2)} GiB CSV, one run`
    return [
      {
        section, figure: 'dv write --commit: peak RSS', dv: dv.rssMiB, unit: 'MiB', baselineName: 'duckdb-copy-big', baseline: duck.rssMiB,
        ratio: dv.rssMiB / duck.rssMiB, target: '< 1024 MiB', pass: dv.rssMiB < 1024,
      },
      {
        section, figure: 'dv write --commit (CLI wall) vs DuckDB COPY', dv: dv.ms, unit: 'ms', baselineName: 'duckdb-copy-big', baseline: duck.statementMs[0],
        ratio: dv.ms / duck.statementMs[0], target: '<= 1.5x', pass: dv.ms / duck.statementMs[0] <= 1.5, rssMiB: dv.rssMiB, baselineRssMiB: duck.rssMiB,
      },
    ]
  } finally {
    await rm(repo, { recursive: true, force: true })
    await rm(out, { force: true })
    await removeFile(csv)
  }
}
