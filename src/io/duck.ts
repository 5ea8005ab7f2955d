/**
 * The one place that talks to DuckDB: a lazily loaded instance with one
 * connection, a tiny query API returning JSON-safe rows, and the mapping of
 * DuckDB's errors to DvError (DuckDB's text is kept after the dv context).
 */
import { mkdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { DuckDBConnection, DuckDBInstance, DuckDBType } from '@duckdb/node-api'
import { DvError, type DvErrorCode } from '../errors.js'
import { engineLimits, memoryHint, withoutEngineAdvice } from './limits.js'

export type Row = Record<string, unknown>

export interface DuckOptions {
  threads?: number
  memoryLimit?: string
}

export class Duck {
  private tempDir: string | undefined
  private progressEnabled = false

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(options: DuckOptions = {}): Promise<Duck> {
    // require(), not import(): the package is CommonJS, and under import() Node sends each of its
    // ~180 files through the ESM loader, lexing each for its exports: 0.2-0.4 s more per cold
    // process (measured on Node 20; bench/cold-start.ts)
    const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api')
    const config: Record<string, string> = {}
    if (options.threads !== undefined) config.threads = String(options.threads)
    // Sized from the machine (limits.ts: DV_MEMORY_LIMIT, else a quarter of its memory); DuckDB
    // spills past it. A streaming ingest stays far below: bench/README.md has the peak RSS.
    config.memory_limit = options.memoryLimit ?? `${engineLimits().memoryBytes}B`
    const instance = await DuckDBInstance.create(':memory:', config)
    const connection = await instance.connect()
    const duck = new Duck(instance, connection)
    // Zone-less values stay wall-clock; TIMESTAMPTZ renders and truncates in UTC.
    await duck.run("SET TimeZone = 'UTC'; SET preserve_insertion_order = true")
    return duck
  }

  /**
   * Spills go to `dir` (set once per engine: DuckDB refuses to move it after
   * spilling). Every call re-creates the directory first set, in case its
   * owner deleted it since (DuckDB would then fail to open its spill files).
   */
  async useTempDirectory(dir: string): Promise<void> {
    if (this.tempDir === undefined) {
      await this.run(`SET temp_directory = ${quoteLiteral(dir)}`)
      this.tempDir = dir
    }
    await mkdir(this.tempDir, { recursive: true })
  }

  /** Runs a statement and returns its rows as JSON-safe objects (BIGINT as strings). */
  async all(sql: string): Promise<Row[]> {
    const reader = await this.connection.runAndReadAll(sql)
    return reader.getRowObjectsJson() as Row[]
  }

  /** The names and structured DuckDB types of the columns `query` yields (no rows are read). */
  async columnTypes(query: string): Promise<Array<{ name: string; type: DuckDBType }>> {
    const result = await this.connection.run(`SELECT * FROM (${query}) LIMIT 0`)
    const names = result.columnNames()
    const types = result.columnTypes()
    return names.map((name, i) => ({ name, type: types[i]! }))
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql)
  }

  /**
   * Runs `sql`, calling `onTick` with the engine's progress (0-100) every
   * `everyMs`. DuckDB tracks progress only with its progress bar enabled
   * (measured on 1.5.6: `connection.progress` stays -1 otherwise), and from
   * the start only with progress_bar_time 0 (default: after 2 s). Printing
   * must stay off: DuckDB would draw its own bar on the terminal.
   */
  async allWithProgress(sql: string, onTick: (percentage: number) => void, everyMs = 200): Promise<Row[]> {
    if (!this.progressEnabled) {
      await this.run('SET enable_progress_bar = true')
      await this.run('SET enable_progress_bar_print = false')
      await this.run('SET progress_bar_time = 0')
      this.progressEnabled = true
    }
    const timer = setInterval(() => {
      try {
        const p = this.connection.progress
        if (p.percentage >= 0) onTick(p.percentage)
      } catch {
        // progress is advisory
      }
    }, everyMs)
    try {
      return await this.all(sql)
    } finally {
      clearInterval(timer)
    }
  }

  /** Stops the running statement, if any (it fails with DuckDB's INTERRUPT error). */
  interrupt(): void {
    this.connection.interrupt()
  }

  close(): void {
    this.connection.closeSync()
    this.instance.closeSync()
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`
}

/** True when a file's own column named file_row_number hid DuckDB's row number (a rewrite or read-back then numbers rows by window). */
export function isRowNumberClash(e: unknown): boolean {
  return /column named file_row_number/i.test(e instanceof Error ? e.message : String(e))
}

/** DuckDB's message without the echoed SQL and the long parameter dumps. */
export function duckMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e)
  const kept: string[] = []
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (t.startsWith('LINE ') || t.startsWith('Possible fixes') || t.startsWith('file =')) break
    if (t === '' && kept.length > 0) break
    if (t) kept.push(t)
  }
  // DuckDB's advice names its own options, which dv users cannot set (limits.ts)
  return withoutEngineAdvice(kept.join('; ').slice(0, 800) || text.slice(0, 800))
}

/** Where a CSV error happened, when DuckDB says it. */
export function duckLine(e: unknown): number | undefined {
  const m = /CSV Error on Line: (\d+)|JSON transform error in file "[^"]*", in line (\d+)/.exec(e instanceof Error ? e.message : String(e))
  if (m) return Number(m[1] ?? m[2])
  return undefined
}

/**
 * Engine messages that mean the bytes read are damaged, in the words of
 * DuckDB's Parquet reader, its Thrift decoder and its codecs (collected from
 * DuckDB 1.5.6's messages and the damaged files of test/fixtures/parquet).
 * "Invalid Error" is DuckDB's name for an exception of a library it embeds
 * (Thrift, a decompressor, the Parquet page decoders): raised while reading a
 * file, it means the file is damaged.
 */
const DAMAGED = new RegExp([
  '^Invalid Error',
  'corrupt',
  'TProtocolException', 'TTransportException', "don't know what type",
  'No magic bytes found', 'too small to be a Parquet file', 'footer length', 'Parquet file has invalid',
  'decompression fail', 'failed to decompress', 'Failed to decode gzip stream', 'unexpected decompressed size',
  'Out of buffer', 'Missing data page header', 'bigger than allowed', 'Invalid dictionary page header',
].join('|'), 'i')

/** Engine messages that mean the file is well formed but uses a codec or encoding the engine cannot decode. */
const UNDECODABLE = /Unsupported compression codec|encoding is only supported for|Unknown encoding/i

/** The DvError code of a DuckDB error that says its input is damaged or undecodable, else undefined. */
export function damagedInputCode(e: unknown): 'CORRUPT' | 'UNSUPPORTED' | undefined {
  const text = e instanceof Error ? e.message : String(e)
  if (UNDECODABLE.test(text)) return 'UNSUPPORTED'
  if (DAMAGED.test(text)) return 'CORRUPT'
  return undefined
}

function errorCode(e: unknown): DvErrorCode {
  const text = e instanceof Error ? e.message : String(e)
  const damaged = damagedInputCode(e)
  if (damaged) return damaged
  if (/^(Conversion|Invalid Input|Binder|Parser|Catalog|Constraint|Out of Range) Error/.test(text)) return 'INVALID_ARGUMENT'
  if (/^IO Error: No files found/.test(text)) return 'NOT_FOUND'
  if (/^(IO|Out of Memory) Error/.test(text)) return 'STORAGE'
  return 'INTERNAL'
}

/** The hints of input that is damaged, and of input in a codec or encoding dv cannot read. */
export const DAMAGED_HINT = 'the file is damaged: write it again from its source'
export const UNDECODABLE_HINT = 'write the file again with a common codec (zstd, snappy) and encodings'

const CODE_HINTS: Partial<Record<DvErrorCode, string>> = {
  CORRUPT: `${DAMAGED_HINT} (for a data file of the store, run dv fsck)`,
  UNSUPPORTED: UNDECODABLE_HINT,
}

/** Maps a DuckDB error to a DvError: `context` comes first, DuckDB's text after it. */
export function toDvError(e: unknown, context: string, options: { hint?: string; details?: Record<string, unknown> } = {}): DvError {
  if (e instanceof DvError) return e
  const code = errorCode(e)
  let hint = options.hint ?? CODE_HINTS[code]
  if (!hint && /^Out of Memory Error/.test(e instanceof Error ? e.message : String(e))) hint = memoryHint()
  return new DvError(code, `${context}: ${duckMessage(e)}`, { cause: e, hint, details: options.details })
}
