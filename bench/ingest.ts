/**
 * Figures 2 and 3: CSV ingest against DuckDB's own CSV -> zstd Parquet COPY,
 * and Parquet ingest throughput against the floor of storing a file by
 * content address (streamed SHA-256 + copy + fsync). Each repetition runs
 * dv's CLI, the library call in a fresh process and the baseline in turn,
 * so the machine's noise hits them alike.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { freshRepo, runDuck, runDv, runLibrary, sqlString, type BenchContext } from './harness.js'
import { median, timeIt, type ProcessRun } from './measure.js'
import { ratioOf, type Row } from './report.js'

export interface CsvIngestResult {
  rows: Row[]
  /** A repository holding table `bench` written by the CLI (kept for the read figures). */
  keptRepo: string
}

const MB = 1e6
const maxRss = (runs: ProcessRun[]) => Math.max(...runs.map((r) => r.rssMiB))

export async function benchCsvIngest(ctx: BenchContext): Promise<CsvIngestResult> {
  const { csv } = ctx.data
  const out = join(ctx.work, 'baseline-csv.parquet')
  const baselineSql = `COPY (SELECT * FROM read_csv(${sqlString(csv)})) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`
  const cli: ProcessRun[] = []
  const lib: Array<ProcessRun & { callMs: number }> = []
  const duck: Array<ProcessRun & { statementMs: number[] }> = []
  let keptRepo = ''
  for (let i = 0; i < ctx.reps; i++) {
    const repo = await freshRepo(ctx, 'csv-cli')
    cli.push(await runDv(['-C', repo, 'write', 'bench', csv, '--commit', '-m', 'x']))
    if (keptRepo) await rm(keptRepo, { recursive: true, force: true })
    keptRepo = repo
    duck.push(await runDuck([baselineSql]))
    await rm(out, { force: true })
    const dir = await freshRepo(ctx, 'csv-lib')
    lib.push(await runLibrary({ op: 'write', dir, table: 'bench', source: csv, options: { commit: true, message: 'x' } }))
    await rm(dir, { recursive: true, force: true })
    ctx.log(`csv ingest ${i + 1}/${ctx.reps}: dv cli ${cli[i].ms.toFixed(0)} ms, library ${lib[i].callMs.toFixed(0)} ms, duckdb copy ${duck[i].statementMs[0].toFixed(0)} ms (process ${duck[i].ms.toFixed(0)} ms)`)
  }
  const base = median(duck.map((d) => d.statementMs[0]))
  const baseWall = median(duck.map((d) => d.ms))
  const cliMs = median(cli.map((r) => r.ms))
  const libMs = median(lib.map((r) => r.callMs))
  const section = `CSV ingest, 2M rows, 150 MB (median of ${ctx.reps})`
  const rows: Row[] = [
    {
      section, figure: 'dv write --commit (CLI process wall) vs DuckDB COPY (in-process)', dv: cliMs, unit: 'ms',
      baselineName: 'duckdb-copy-csv', baseline: base, ratio: ratioOf(cliMs, base, 'ms'), target: '<= 1.5x',
      pass: cliMs / base <= 1.5, rssMiB: maxRss(cli), baselineRssMiB: maxRss(duck), samples: cli.map((r) => r.ms), baselineSamples: duck.map((d) => d.statementMs[0]),
    },
    {
      section, figure: 'Repository.write commit (in a fresh process) vs DuckDB COPY (in-process)', dv: libMs, unit: 'ms',
      baselineName: 'duckdb-copy-csv', baseline: base, ratio: ratioOf(libMs, base, 'ms'), target: '<= 1.5x', pass: libMs / base <= 1.5,
      rssMiB: maxRss(lib), baselineRssMiB: maxRss(duck), samples: lib.map((r) => r.callMs),
    },
    {
      section, figure: 'dv write --commit (CLI wall) vs DuckDB COPY process wall', dv: cliMs, unit: 'ms',
      baselineName: 'duckdb-copy-csv-process', baseline: baseWall, ratio: ratioOf(cliMs, baseWall, 'ms'), baselineSamples: duck.map((d) => d.ms),
    },
  ]
  return { rows, keptRepo }
}

/** Streams `path` through SHA-256 into a new file on the same disk and fsyncs it: the floor of storing it by content. */
async function storeFloor(path: string, dir: string): Promise<void> {
  const target = join(dir, `floor-${randomUUID()}`)
  const hash = createHash('sha256')
  const handle = await open(target, 'wx')
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk)
      await handle.write(chunk)
    }
    await handle.sync()
  } finally {
    await handle.close()
  }
  hash.digest('hex')
  await rm(target, { force: true })
}

export async function benchParquetIngest(ctx: BenchContext): Promise<Row[]> {
  const { parquet } = ctx.data
  const size = (await stat(parquet)).size
  const cli: ProcessRun[] = []
  const lib: Array<ProcessRun & { callMs: number }> = []
  const floor: number[] = []
  for (let i = 0; i < ctx.reps; i++) {
    const repo = await freshRepo(ctx, 'pq-cli')
    cli.push(await runDv(['-C', repo, 'write', 'benchpq', parquet, '--commit', '-m', 'x']))
    await rm(repo, { recursive: true, force: true })
    const dir = await freshRepo(ctx, 'pq-lib')
    lib.push(await runLibrary({ op: 'write', dir, table: 'benchpq', source: parquet, options: { commit: true, message: 'x' } }))
    await rm(dir, { recursive: true, force: true })
    floor.push((await timeIt(() => storeFloor(parquet, ctx.work))).ms)
  }
  const mbps = (ms: number) => size / MB / (ms / 1000)
  const floorMbps = mbps(median(floor))
  const cliMs = median(cli.map((r) => r.ms))
  const cliMbps = mbps(cliMs)
  const libMbps = mbps(median(lib.map((r) => r.callMs)))
  ctx.log(`parquet ingest: cli ${cliMbps.toFixed(0)} MB/s, library ${libMbps.toFixed(0)} MB/s, sha256+copy+fsync floor ${floorMbps.toFixed(0)} MB/s`)
  const section = `Parquet ingest, ${(size / MB).toFixed(1)} MB zstd file (median of ${ctx.reps})`
  return [
    {
      section, figure: 'dv write --commit (CLI process wall), MB/s', dv: cliMbps, unit: 'MB/s',
      baselineName: 'store-floor', baseline: floorMbps, ratio: ratioOf(cliMbps, floorMbps, 'MB/s'), target: '>= 500 MB/s',
      pass: cliMbps >= 500, rssMiB: maxRss(cli), samples: cli.map((r) => r.ms),
    },
    {
      section, figure: 'Repository.write commit (in a fresh process), MB/s', dv: libMbps, unit: 'MB/s',
      baselineName: 'store-floor', baseline: floorMbps, ratio: ratioOf(libMbps, floorMbps, 'MB/s'), target: '>= 500 MB/s', pass: libMbps >= 500,
      rssMiB: maxRss(lib), samples: lib.map((r) => r.callMs),
    },
    {
      section, figure: 'dv write --commit (CLI process wall), ms', dv: cliMs, unit: 'ms',
      baselineName: 'store-floor', baseline: median(floor), ratio: cliMs / median(floor), baselineSamples: floor,
    },
  ]
}
