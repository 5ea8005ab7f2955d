/**
 * The row-level write modes against a full rewrite of the same table:
 *   - replace-partitions of ONE day of a 365-day table (day(ts), 2M rows)
 *     vs overwrite of that table with all its rows (repartitioned, so every
 *     row is written);
 *   - upsert --key id of 1% of the rows (a contiguous id range) of a 2M-row
 *     table laid out as 20 files clustered by id (20 appends of 100,000
 *     consecutive ids, as an ingest pipeline appending in id order leaves
 *     it; the upsert's key range prunes to one file) vs a full rewrite:
 *     overwrite with all 2M rows as a Parquet file dv must re-encode. Also
 *     the same upsert vs an overwrite dv stores as-is, and the worst case,
 *     1% of the keys spread over every file (info rows, no target).
 * Inputs are cut from bench.parquet by DuckDB into bench/data/pipeline-v1/.
 */
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Repository, type WriteResult } from '../src/index.js'
import { MAIN_ROWS } from './data.js'
import { freshRepo, sqlString, type BenchContext } from './harness.js'
import { median, timeIt } from './measure.js'
import { DATA_DIR } from './paths.js'
import type { Row } from './report.js'

const DIR = join(DATA_DIR, 'pipeline-v1')
const CHUNKS = 20
const CHUNK_ROWS = MAIN_ROWS / CHUNKS
const UPSERT_ROWS = MAIN_ROWS / 100
/** The day replaced: 2026-07-01 (bench.csv's ts spans 2026). */
const DAY = '2026-07-01'

export interface PipelineData {
  /** bench.parquet (2M rows): a valid data file of the table, so an unpartitioned overwrite stores it as-is (no row read). */
  full: string
  /** The same 2M rows with ts as TIMESTAMP_MILLIS: dv converts ts to micros, so an overwrite re-encodes every row. */
  fullReencoded: string
  /** 20 files of 100,000 consecutive ids each, sorted by id. */
  chunks: string[]
  /** The rows of DAY with value + 1. */
  day: string
  dayRows: number
  /** For repetition r: 20,000 consecutive ids inside chunk upsertChunk(r), value + 1. */
  upserts: string[]
  /** For repetition r: 20,000 ids spread over the whole key range (id % 100 = 7 + r), value + 1. */
  spreads: string[]
}

function upsertChunk(rep: number): number {
  return (2 + 7 * rep) % CHUNKS
}

function upsertRange(rep: number): [number, number] {
  const start = upsertChunk(rep) * CHUNK_ROWS + (CHUNK_ROWS - UPSERT_ROWS) / 2
  return [start, start + UPSERT_ROWS]
}

async function present(path: string): Promise<boolean> {
  return stat(path).then((s) => s.size > 0, () => false)
}

/** Cuts the inputs from bench.parquet (once; reused while present). */
export async function ensurePipelineData(ctx: BenchContext, reps: number): Promise<PipelineData> {
  await mkdir(DIR, { recursive: true })
  const src = `read_parquet(${sqlString(ctx.data.parquet)})`
  const changed = `SELECT id, value + 1 AS value, category, ts, rand FROM ${src}`
  const jobs: Array<{ path: string; sql: string }> = []
  const chunks = Array.from({ length: CHUNKS }, (_, c) => {
    const path = join(DIR, `ids-${String(c).padStart(2, '0')}.parquet`)
    jobs.push({ path, sql: `SELECT * FROM ${src} WHERE id >= ${c * CHUNK_ROWS} AND id < ${(c + 1) * CHUNK_ROWS} ORDER BY id` })
    return path
  })
  const fullReencoded = join(DIR, 'full-ts-millis.parquet')
  jobs.push({ path: fullReencoded, sql: `SELECT id, value, category, ts::TIMESTAMP_MS AS ts, rand FROM ${src}` })
  const day = join(DIR, `day-${DAY}.parquet`)
  jobs.push({ path: day, sql: `${changed} WHERE ts >= TIMESTAMP '${DAY}' AND ts < TIMESTAMP '${DAY}' + INTERVAL 1 DAY ORDER BY ts` })
  const upserts = Array.from({ length: Math.min(reps, CHUNKS) }, (_, r) => {
    const [lo, hi] = upsertRange(r)
    const path = join(DIR, `upsert-${lo}-${hi}.parquet`)
    jobs.push({ path, sql: `${changed} WHERE id >= ${lo} AND id < ${hi} ORDER BY id` })
    return path
  })
  // a different residue each repetition: the previous one's input file holds none of these keys, so every original file is rewritten again
  const spreads = upserts.map((_, r) => {
    const path = join(DIR, `upsert-spread-${7 + r}.parquet`)
    jobs.push({ path, sql: `${changed} WHERE id % 100 = ${7 + r} ORDER BY id` })
    return path
  })
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    for (const job of jobs) {
      if (await present(job.path)) continue
      ctx.log(`generating ${job.path.slice(DATA_DIR.length + 1)}`)
      await connection.run(`COPY (${job.sql}) TO ${sqlString(job.path)} (FORMAT parquet, COMPRESSION zstd)`)
    }
    const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlString(day)})`)
    const dayRows = Number(reader.getRowObjects()[0].n)
    return { full: ctx.data.parquet, fullReencoded, chunks, day, dayRows, upserts, spreads }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

function write(repo: Repository, source: string, options: Parameters<Repository['write']>[2]): Promise<{ ms: number; value: WriteResult }> {
  return timeIt(() => repo.write('events', source, { commit: true, message: options?.mode ?? 'append', ...options }))
}

function sizes(r: WriteResult): string {
  return `+${r.files} file(s) ${r.rows} rows, -${r.removedFiles} file(s) ${r.removedRows} rows`
}

/** Figure 2: replace-partitions of one day vs overwrite of the whole 365-day table. */
export async function benchReplacePartitions(ctx: BenchContext, data: PipelineData): Promise<Row[]> {
  const repo = await Repository.open(await freshRepo(ctx, 'replace'))
  try {
    ctx.log('replace-partitions: loading 2M rows partitioned by day(ts)')
    const load = await write(repo, data.full, { partitionBy: 'day(ts)', message: 'load' })
    const replace: number[] = []
    const overwrite: number[] = []
    let lastReplace: WriteResult | undefined
    let lastOverwrite: WriteResult | undefined
    for (let i = 0; i < ctx.reps; i++) {
      ctx.log(`replace-partitions: repetition ${i + 1}/${ctx.reps}`)
      const r = await write(repo, data.day, { mode: 'replace-partitions' })
      replace.push(r.ms)
      lastReplace = r.value
      const o = await write(repo, data.full, { mode: 'overwrite' })
      overwrite.push(o.ms)
      lastOverwrite = o.value
    }
    const dv = median(replace)
    const base = median(overwrite)
    const section = 'pipeline: replace-partitions (local store, library in-process)'
    return [
      {
        section, figure: `load: 2M rows -> day(ts) table (${load.value.files} files)`, dv: load.ms, unit: 'ms',
      },
      {
        section, figure: `replace-partitions of 1 day (${data.dayRows} rows) of 365`, dv, unit: 'ms',
        baselineName: 'pipeline-overwrite-day', baseline: base, ratio: dv / base, target: '<= 0.05x', pass: dv / base <= 0.05,
        samples: replace, baselineSamples: overwrite,
        note: `replace: ${lastReplace ? sizes(lastReplace) : '-'}; overwrite: ${lastOverwrite ? sizes(lastOverwrite) : '-'}`,
      },
    ]
  } finally {
    await repo.close()
  }
}

/** A 2M-row table of 20 files clustered by id: 20 appends of 100,000 consecutive ids. */
async function loadClustered(ctx: BenchContext, data: PipelineData, prefix: string): Promise<{ repo: Repository; ms: number }> {
  const repo = await Repository.open(await freshRepo(ctx, prefix))
  const { ms } = await timeIt(async () => {
    for (const [i, chunk] of data.chunks.entries()) await write(repo, chunk, { message: `append ids ${i * CHUNK_ROWS}..` })
  })
  return { repo, ms }
}

async function tableShape(repo: Repository): Promise<string> {
  const info = (await repo.show('HEAD', 'events')).table
  return info ? `${info.rows} rows in ${info.files} files` : '?'
}

/** Figure 3: a 1% upsert (contiguous key range, then spread keys) vs overwrite of the whole table. */
export async function benchUpsert(ctx: BenchContext, data: PipelineData): Promise<Row[]> {
  ctx.log('upsert: loading three 20-file tables clustered by id')
  const ranged = await loadClustered(ctx, data, 'upsert')
  const spread = await loadClustered(ctx, data, 'upsert-spread')
  const rewrite = await loadClustered(ctx, data, 'rewrite')
  try {
    const before = await tableShape(ranged.repo)
    const times = { ranged: [] as number[], spread: [] as number[], reencode: [] as number[], asIs: [] as number[] }
    const last: Partial<Record<keyof typeof times, WriteResult>> = {}
    const reps = data.upserts.length
    const step = async (key: keyof typeof times, repo: Repository, source: string, options: Parameters<Repository['write']>[2]) => {
      const r = await write(repo, source, options)
      times[key].push(r.ms)
      last[key] = r.value
    }
    for (let i = 0; i < reps; i++) {
      ctx.log(`upsert: repetition ${i + 1}/${reps}`)
      await step('ranged', ranged.repo, data.upserts[i], { mode: 'upsert', key: ['id'] })
      await step('reencode', rewrite.repo, data.fullReencoded, { mode: 'overwrite' })
      await step('spread', spread.repo, data.spreads[i], { mode: 'upsert', key: ['id'] })
      await step('asIs', rewrite.repo, data.full, { mode: 'overwrite' })
    }
    const section = 'pipeline: upsert 1% (local store, library in-process)'
    const dv = median(times.ranged)
    const base = median(times.reencode)
    const asIs = median(times.asIs)
    const worst = median(times.spread)
    const [lo, hi] = upsertRange(0)
    const shape = (k: keyof typeof times) => (last[k] ? sizes(last[k]) : '-')
    return [
      { section, figure: `load: 20 appends of 100,000 consecutive ids (${before})`, dv: ranged.ms, unit: 'ms' },
      {
        section, figure: `upsert --key id of ${UPSERT_ROWS} rows in one id range (e.g. ${lo}..${hi - 1})`, dv, unit: 'ms',
        baselineName: 'pipeline-rewrite-ids', baseline: base, ratio: dv / base, target: '<= 0.25x', pass: dv / base <= 0.25,
        samples: times.ranged, baselineSamples: times.reencode,
        note: `upsert: ${shape('ranged')}, table after: ${await tableShape(ranged.repo)}; full rewrite: ${shape('reencode')}`,
      },
      {
        section, figure: '  the same upsert vs an overwrite dv stores as-is', dv, unit: 'ms',
        baselineName: 'pipeline-overwrite-as-is', baseline: asIs, ratio: dv / asIs, samples: times.ranged, baselineSamples: times.asIs,
        note: `overwrite as-is: ${shape('asIs')} (the input file hashed and copied; no row read or written)`,
      },
      {
        section, figure: `worst case: upsert of ${UPSERT_ROWS} ids spread over all files (id % 100 = 7, 8, ..)`, dv: worst, unit: 'ms',
        baselineName: 'pipeline-rewrite-ids', baseline: base, ratio: worst / base, samples: times.spread, baselineSamples: times.reencode,
        note: `spread upsert: ${shape('spread')}, table after: ${await tableShape(spread.repo)}`,
      },
    ]
  } finally {
    for (const t of [ranged, spread, rewrite]) await t.repo.close()
  }
}

export const REWRITE_BASELINES: Record<string, string> = {
  'pipeline-overwrite-day': 'write --mode overwrite of the same table with all its rows (bench.parquet, 2M rows, repartitioned by day(ts) into 365 files), same process, alternating with the figure',
  'pipeline-rewrite-ids': 'full rewrite: write --mode overwrite of a 20-file table with all its 2M rows as zstd Parquet whose ts is TIMESTAMP_MILLIS (dv converts it to micros, so every row is read and written), same process, alternating with the figure',
  'pipeline-overwrite-as-is': 'write --mode overwrite of the same table with bench.parquet (2M rows), which already is a valid data file: dv hashes and copies it without reading a row',
}
