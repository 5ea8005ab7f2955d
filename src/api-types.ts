/**
 * Plain option and result objects of the public API, and the write-mode
 * list. The CLI prints the results (plain text, ink views on a TTY, or
 * `--json` as-is), so they hold only JSON-safe values. This module has no
 * runtime imports: the CLI reads WRITE_MODES from it at start-up.
 */
import type { PrimitiveType, TableChange } from './format/types.js'
import type { CsvOptions, InputFormat, OutputFormat } from './io/types.js'

/** Every write mode (format-spec/write-modes.md): the library's check and the CLI's --mode choices both read this list. */
export const WRITE_MODES = ['append', 'overwrite', 'replace-partitions', 'delete', 'upsert'] as const
export type WriteMode = (typeof WRITE_MODES)[number]

export interface WriteOptions {
  mode?: WriteMode
  /** SQL predicate: the rows `delete` removes, or the rows `overwrite` replaces. */
  where?: string
  /** Key columns for `upsert`. */
  key?: string[]
  /** New tables only, e.g. 'day(ts)' or 'country,month(ts)'. */
  partitionBy?: string
  format?: InputFormat
  /**
   * A new table's schema (`dv write --schema`): the text form
   * (`id long not null, ts timestamptz`), JSON in the spec's schema form,
   * or `@FILE` / a path ending in .json naming a file of either. The input is
   * read with these types. For an existing table it must agree with its schema.
   */
  schema?: string
  /**
   * How CSV input is read (`--delimiter`, `--quote`, `--escape`,
   * `--no-header`, `--null`, `--date-format`, `--timestamp-format`,
   * `--compression`). A new table keeps them as properties; later writes
   * read with the table's unless they give their own.
   */
  csv?: CsvOptions
  /** Write (and commit) even when the input has no rows; without it such a write is refused. */
  allowEmpty?: boolean
  /** Commit at once (one atomic commit of this write alone) with this message. */
  commit?: boolean
  message?: string
  idempotencyKey?: string
  /** Target branch; default: the workspace's checked-out branch, else 'main'. */
  branch?: string
  author?: string
  onProgress?: (p: { rows: number; bytesRead?: number; bytesTotal?: number }) => void
}

export interface WriteResult {
  table: string
  branch: string
  mode: WriteMode
  rows: number
  files: number
  bytes: number
  /** Rows and files removed (overwrite, replace-partitions, delete, upsert rewrite files copy-on-write). */
  removedRows: number
  removedFiles: number
  /** True when this write created the table. */
  created: boolean
  /** Columns added to the table's schema by this write. */
  addedColumns: string[]
  /** Set when the write was committed (`commit: true`). */
  commit?: CommitResult
  /** Set when the write was staged (no commit). */
  staged?: { id: string }
}

export interface CommitOptions {
  message: string
  idempotencyKey?: string
  allowEmpty?: boolean
  branch?: string
  author?: string
}

export interface CommitResult {
  snapshot: string
  branch: string
  parents: string[]
  timestamp: string
  message: string
  tables: Record<string, TableChange>
  /** True when an earlier commit with the same idempotency key was returned instead. */
  idempotentReplay: boolean
}

export interface StagedChangeInfo {
  id: string
  table: string
  mode: WriteMode
  rows: number
  files: number
  bytes: number
  creates: boolean
}

export interface StatusResult {
  /** Checked-out branch, or null when detached. */
  branch: string | null
  head: string | null
  detached: boolean
  staged: StagedChangeInfo[]
  location: string
}

export interface LogOptions {
  rev?: string
  table?: string
  limit?: number
  idempotencyKey?: string
}

export interface LogEntry {
  snapshot: string
  parents: string[]
  timestamp: string
  author: string
  message: string
  tables: Record<string, TableChange>
  idempotencyKey?: string
  /** Branch and tag names pointing at this snapshot. */
  refs: string[]
}

export interface ColumnStats {
  id: number
  name: string
  type: PrimitiveType
  required: boolean
  min?: string
  max?: string
  nulls: number
}

export interface TableInfo {
  name: string
  tableId: string
  snapshot: string
  rows: number
  files: number
  bytes: number
  manifests: number
  partitionSpec: Array<{ name: string; transform: string; source: string }>
  columns: ColumnStats[]
  properties: Record<string, string>
}

export interface ShowResult {
  commit: LogEntry
  /** Name -> row count of every table at this snapshot. */
  tables: Record<string, { rows: number; files: number; bytes: number }>
  /** Present when a table was named. */
  table?: TableInfo
}

export interface RefInfo {
  name: string
  snapshot: string
  /** For branches: whether it is the checked-out one. */
  current?: boolean
}

export interface CheckoutResult {
  branch: string | null
  snapshot: string
  created: boolean
  detached: boolean
}

export interface ReadOptions {
  /** REV or bare ISO-8601 time; default: the workspace HEAD, else main. */
  at?: string
  columns?: string[]
  where?: string
  limit?: number
}

export interface CatOptions extends ReadOptions {
  format?: OutputFormat
}

export interface CatResult {
  table: string
  snapshot: string
  rows: number
  filesScanned: number
  filesPruned: number
}
