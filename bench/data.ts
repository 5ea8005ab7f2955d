/**
 * The benchmark data, generated once by DuckDB into bench/data/ and reused
 * while the generator version and file sizes match. Values come from
 * DuckDB's hash() of the row number and a fixed seed, so every run (any
 * thread count) produces the same CSV bytes.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DATA_DIR } from './paths.js'

const SEED = 42
const GENERATOR_VERSION = 1
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** 2026-01-01T00:00:00Z in ms, and 365 days in ms. */
const YEAR_START_MS = 1767225600000
const YEAR_MS = 365 * 86400000

export const MAIN_ROWS = 2_000_000
export const PARTITIONS = 10_000
export const PARTITIONED_ROWS = 100_000
/** parts-10k.csv split by k into this many files (a fallback way to build the 10,000-file table). */
export const PARTITION_CHUNKS = 5
/** Rows of the --big CSV: > 4 GiB at ~75 bytes a row. */
export const BIG_ROWS = 60_000_000

export interface Datasets {
  /** 2M rows: id, value, category, ts, rand. */
  csv: string
  /** The same rows as zstd Parquet. */
  parquet: string
  /** One row with the columns of `csv`. */
  oneRow: string
  /** k (10,000 distinct), id, value. */
  parts10k: string
  /** parts10k split by ranges of k, PARTITION_CHUNKS files. */
  parts10kChunks: string[]
  /** k (one value), id, value: as many rows as parts10k. */
  parts1: string
  /** One row of the partitioned tables (k = 0). */
  oneRowParts: string
  /** NESTED_ROWS nested events as NDJSON: a struct of 3 fields, a list of strings, a map (500 distinct keys). */
  events: string
}

export const NESTED_ROWS = 1_000_000

/** Nested events: user struct<id, name, country>, tags list<string> (0-3), attrs map<string, long> (1-3 keys of 500). */
function eventRows(rows: number): string {
  return `SELECT i AS id,
    epoch_ms((${YEAR_START_MS} + hash(i, ${SEED}, 'ets') % ${YEAR_MS})::BIGINT) AS ts,
    {'id': (hash(i, ${SEED}, 'uid') % 100000)::BIGINT, 'name': 'user_' || (hash(i, ${SEED}, 'uid') % 100000)::VARCHAR,
     'country': ['DE', 'FR', 'US', 'JP', 'BR'][1 + (hash(i, ${SEED}, 'c') % 5)::INTEGER]} AS user,
    list_transform(range((hash(i, ${SEED}, 'nt') % 4)::BIGINT), j -> 'tag_' || (hash(i, j, ${SEED}) % 50)::VARCHAR) AS tags,
    map_from_entries(list_transform(range(1 + (hash(i, ${SEED}, 'na') % 3)::BIGINT),
      j -> {'key': 'k' || ((hash(i, ${SEED}, 'ka') % 500) + j * 7) % 500, 'value': (hash(i, j, 'av') % 1000)::BIGINT})) AS attrs
    FROM range(${rows}) t(i)`
}

/** The 5-column rows of `range(start, start + rows)`. */
function mainRows(rows: number, start = 0): string {
  return `SELECT i AS id,
    round((hash(i, ${SEED}, 'value') % 100000000)::BIGINT / 10000.0, 4)::DOUBLE AS value,
    'category_' || lpad((hash(i, ${SEED}, 'category') % 100)::VARCHAR, 3, '0') AS category,
    epoch_ms((${YEAR_START_MS} + hash(i, ${SEED}, 'ts') % ${YEAR_MS})::BIGINT) AS ts,
    array_to_string(list_transform(range(20), j -> substr('${ALPHABET}', 1 + (hash(i, ${SEED}, j) % 62)::INTEGER, 1)), '') AS rand
    FROM range(${start}, ${start + rows}) t(i)`
}

function partRows(rows: number, distinct: number): string {
  return `SELECT (i % ${distinct})::BIGINT AS k, i AS id,
    round((hash(i, ${SEED}, 'pv') % 100000000)::BIGINT / 10000.0, 4)::DOUBLE AS value
    FROM range(${rows}) t(i)`
}

const CSV = "FORMAT csv, HEADER true, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%g'"

interface Spec {
  file: string
  sql: string
  options: string
}

function specs(): Spec[] {
  return [
    { file: 'bench.csv', sql: mainRows(MAIN_ROWS), options: CSV },
    { file: 'bench.parquet', sql: mainRows(MAIN_ROWS), options: 'FORMAT parquet, COMPRESSION zstd' },
    { file: 'one-row.csv', sql: mainRows(1, MAIN_ROWS), options: CSV },
    { file: 'parts-10k.csv', sql: partRows(PARTITIONED_ROWS, PARTITIONS), options: CSV },
    ...chunkNames().map((file, c) => ({
      file, sql: `SELECT * FROM (${partRows(PARTITIONED_ROWS, PARTITIONS)}) WHERE k % ${PARTITION_CHUNKS} = ${c}`, options: CSV,
    })),
    { file: 'parts-1.csv', sql: partRows(PARTITIONED_ROWS, 1), options: CSV },
    { file: 'events-1m.ndjson', sql: eventRows(NESTED_ROWS), options: 'FORMAT json' },
    { file: 'one-row-parts.csv', sql: `SELECT 0::BIGINT AS k, ${PARTITIONED_ROWS}::BIGINT AS id, 1.5::DOUBLE AS value`, options: CSV },
  ]
}

function chunkNames(): string[] {
  return Array.from({ length: PARTITION_CHUNKS }, (_, c) => `parts-10k-chunk${c}.csv`)
}

interface Stamp {
  version: number
  sizes: Record<string, number>
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size
  } catch {
    return undefined
  }
}

async function copyTo(sql: string, path: string, options: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    await connection.run(`COPY (${sql}) TO '${path.replace(/'/g, "''")}' (${options})`)
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

/** Generates the data sets that are missing or stale; returns their paths. */
export async function ensureDatasets(log: (line: string) => void): Promise<Datasets> {
  await mkdir(DATA_DIR, { recursive: true })
  const stampPath = join(DATA_DIR, 'stamp.json')
  const stamp: Stamp = await readFile(stampPath, 'utf8').then((t) => JSON.parse(t) as Stamp).catch(() => ({ version: 0, sizes: {} }))
  const fresh: Stamp = { version: GENERATOR_VERSION, sizes: {} }
  for (const spec of specs()) {
    const path = join(DATA_DIR, spec.file)
    const size = await sizeOf(path)
    if (stamp.version !== GENERATOR_VERSION || size === undefined || stamp.sizes[spec.file] !== size) {
      const started = performance.now()
      await copyTo(spec.sql, path, spec.options)
      log(`generated ${spec.file} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }
    fresh.sizes[spec.file] = (await sizeOf(path))!
  }
  await writeFile(stampPath, JSON.stringify(fresh, null, 2))
  const at = (f: string) => join(DATA_DIR, f)
  return {
    csv: at('bench.csv'), parquet: at('bench.parquet'), oneRow: at('one-row.csv'),
    parts10k: at('parts-10k.csv'), parts10kChunks: chunkNames().map(at), parts1: at('parts-1.csv'), oneRowParts: at('one-row-parts.csv'),
    events: at('events-1m.ndjson'),
  }
}

/** The --big CSV (> 4 GiB); the caller deletes it afterwards. */
export async function generateBigCsv(log: (line: string) => void): Promise<string> {
  const path = join(DATA_DIR, 'big.csv')
  const started = performance.now()
  await copyTo(mainRows(BIG_ROWS), path, CSV)
  log(`generated big.csv (${((await sizeOf(path))! / 2 ** 30).toFixed(2)} GiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return path
}

export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true })
}

/**
 * `rows` rows of the main data set (ids start..start+rows-1, the same values
 * as bench.csv's rows with those ids) written to `path` as CSV (the format of
 * bench.csv) or zstd Parquet: the peer benchmark's inputs at any size.
 */
export async function generateMainRows(path: string, rows: number, format: 'csv' | 'parquet', start = 0): Promise<void> {
  await copyTo(mainRows(rows, start), path, format === 'csv' ? CSV : 'FORMAT parquet, COMPRESSION zstd')
}
