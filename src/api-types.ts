/**
 * Plain option and result objects of the public API, and the write-mode
 * list. The CLI prints the results (plain text, ink views on a TTY, or
 * `--json` as-is), so they hold only JSON-safe values. This module has no
 * runtime imports: the CLI reads WRITE_MODES from it at start-up.
 */
import type { Lineage, Schema, TableChange, Type } from './format/types.js'
import type { CsvOptions, InputFormat, OutputFormat } from './io/types.js'
import type { SchemaChange } from './format/schema-diff.js'

export type { SchemaChange }

/** Every write mode (format-spec/write-modes.md): the library's check and the CLI's --mode choices both read this list. */
export const WRITE_MODES = ['append', 'overwrite', 'replace-partitions', 'delete', 'upsert'] as const
export type WriteMode = (typeof WRITE_MODES)[number]
/** What a write does with rows that break its table's contract's row rules (format-spec/contracts.md#quarantine). */
export const ON_VIOLATION = ['fail', 'quarantine'] as const
export type OnViolation = (typeof ON_VIOLATION)[number]

/**
 * What a commit records of what produced it (format-spec/snapshot.md#lineage), besides the inputs its writes
 * read, which are always recorded.
 */
export interface LineageOptions {
  /**
   * A directory inside the Git work tree of the code making the commit: its commit id, branch, `origin` URL
   * (without credentials) and whether a tracked file differs are recorded, read with isomorphic-git. Nothing
   * is recorded when it is in no work tree. The CLI passes its working directory.
   */
  codeDir?: string
  /** The pipeline's pairs (e.g. an orchestrator's run id): non-empty keys. */
  meta?: Record<string, string>
}

export interface WriteOptions {
  /** With `commit: true`: the lineage the commit records (the input is recorded in any case). */
  lineage?: LineageOptions
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
  /**
   * False skips the tables' contracts (`--no-verify`); the result then says
   * `checks: 'skipped'`. A branch protected with --require-checks runs them
   * anyway (`checks: 'required'`). Only with `commit`: a staged change is
   * checked by the commit that lands it (and that commit's own `verify`).
   */
  verify?: boolean
  /** Commit at once (one atomic commit of this write alone) with this message. */
  commit?: boolean
  message?: string
  idempotencyKey?: string
  /** Target branch; default: the workspace's checked-out branch, else 'main'. */
  branch?: string
  author?: string
  /**
   * Called as the input is read: `bytesRead` of `bytesTotal` (a file's size;
   * undefined while stdin is still arriving), `rows` once known (0 before);
   * while a plain CSV or NDJSON file is read, `rows` is an estimate from its
   * mean line length and `rowsEstimated` is true.
   */
  onProgress?: (p: { rows: number; rowsEstimated?: boolean; bytesRead?: number; bytesTotal?: number }) => void
  /**
   * Cancels the request. Until the commit starts writing its metadata, an
   * abort stops the work (interrupting the engine's running statement),
   * removes its temporary files, stages and commits nothing, and rejects with
   * `signal.reason`. After that the commit completes: an abort never leaves a
   * ref update half done.
   */
  signal?: AbortSignal
  /**
   * 'fail' (default): a row breaking a row rule of the table's contract fails
   * the commit (QUALITY). 'quarantine': such rows go to TABLE__quarantine in
   * the same commit, the others to TABLE (format-spec/contracts.md#quarantine).
   */
  onViolation?: OnViolation
}

/** Where a quarantining write sent its failing rows. */
export interface QuarantineResult {
  /** TABLE__quarantine. */
  table: string
  /** Rows quarantined to TABLE__quarantine. */
  rows: number
  /**
   * Input rows that passed the row rules, written to TABLE through the write's mode. (The write's own `rows`
   * counts the rows of the files it adds: an upsert's rewritten files carry unchanged rows too.) A replay of a
   * landed idempotency key knows only the commit: its `passed` is the rows the commit added to TABLE.
   */
  passed: number
  /** Quarantined rows per rule name; a row breaking two rules counts under both. */
  byRule: Record<string, number>
  /** The `_dv_write` value of the quarantined rows (the write's id). */
  write: string
  /** True when this write created the quarantine table. */
  created: boolean
  /** `N rows committed to T, M quarantined to T__quarantine (rule: count, ...)` ("staged for T" when staged). */
  summary: string
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
  /** Set for `onViolation: 'quarantine'`: what went to the quarantine table (rows 0 when none). */
  quarantine?: QuarantineResult
}

export interface CommitOptions {
  message: string
  /** The lineage the commit records (the staged writes' inputs are recorded in any case). */
  lineage?: LineageOptions
  /**
   * False skips the tables' contracts (`--no-verify`); the result then says
   * `checks: 'skipped'`. A branch protected with --require-checks runs them
   * anyway (`checks: 'required'`).
   */
  verify?: boolean
  idempotencyKey?: string
  allowEmpty?: boolean
  branch?: string
  author?: string
  /**
   * Cancels the request. Until the commit starts writing its metadata, an
   * abort stops the work (interrupting the engine's running statement),
   * removes its temporary files, stages and commits nothing, and rejects with
   * `signal.reason`. After that the commit completes: an abort never leaves a
   * ref update half done.
   */
  signal?: AbortSignal
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
  /** Present only when `verify: false` was asked: 'skipped' (the contracts did not run) or 'required' (the branch ran them anyway). */
  checks?: ChecksRun
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
  /** Only commits whose lineage lists an input with this SHA-256 (64 hex digits, or a prefix of 7 or more). */
  input?: string
}

export interface LogEntry {
  snapshot: string
  parents: string[]
  timestamp: string
  author: string
  message: string
  tables: Record<string, TableChange>
  idempotencyKey?: string
  /** What produced the commit: code version, inputs, pipeline pairs (format-spec/snapshot.md#lineage). */
  lineage?: Lineage
  /** Branch and tag names pointing at this snapshot. */
  refs: string[]
  /** Set when retention expired this commit: its data is no longer kept (format-spec/retention.md). */
  expired?: ExpiredMark
}

/** Why and when retention expired a commit, as `dv log` shows it. */
export interface ExpiredMark {
  /** The branch whose policy expired it; null: the repository default. */
  branch: string | null
  keepDays: number | null
  keepLast: number | null
  /** The policy in words: `keep-days=7 on branch main`. */
  policy: string
  time: string
}

/**
 * One field of a table's schema with its statistics over the table's files
 * (format-spec/values.md#statistics). Nested columns are trees: `fields`
 * holds a struct's fields, a list's element or a map's key and value.
 */
export interface ColumnStats {
  id: number
  /** The field's own name (`element`, `key`, `value` inside lists and maps). */
  name: string
  /** The path from the top-level column, as `--columns` takes it (`payload.user.id`). */
  path: string
  /** The type in the schema text form (`long`, `struct<id: long>`, `list<string>`). */
  type: string
  required: boolean
  min?: string
  max?: string
  nulls: number
  fields?: ColumnStats[]
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
  /** The primary key's columns in key order; [] when the table has none. */
  primaryKey: string[]
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
  /** For branches: its protection, when it is protected (`dv branch protect`). */
  protection?: BranchProtectionInfo
}

/** How the contracts went for a request made with `verify: false`. */
export type ChecksRun = 'run' | 'skipped' | 'required'

/** A protected branch's rules (format-spec/settings.md#branch-protection). */
export interface BranchProtectionInfo {
  /** Commits and merges must pass the contracts; `--no-verify` cannot skip them. */
  requireChecks: boolean
  /** Only merges move the branch: no direct write, commit, revert or cherry-pick. */
  requireMerge: boolean
}

export interface ProtectOptions {
  requireChecks?: boolean
  requireMerge?: boolean
}

/** One version of the repository settings, as `dv branch protect --log` shows it. */
export interface SettingsVersion {
  /** The settings object's id. */
  id: string
  parent: string | null
  time: string
  author: string
  message: string
  protectedBranches: Record<string, BranchProtectionInfo>
}

export interface ProtectResult {
  branch: string
  /** The rules now (null: no longer protected). */
  protection: BranchProtectionInfo | null
  /** The rules before (null: was not protected). */
  previous: BranchProtectionInfo | null
  /** The new settings object; null when nothing changed (and nothing was written). */
  settings: string | null
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

/** One line of `dv reflog`, newest first (format-spec/reflog.md). */
export interface ReflogLine {
  /** `main@{0}`: the name that resolves to `snapshot`. */
  selector: string
  index: number
  /** The ref's value after the update; null when the update deleted it. */
  snapshot: string | null
  /** The value before (null: the update created the ref, or unknown for the oldest line). */
  previous: string | null
  /** ISO-8601; null for the synthetic line of a value older than the oldest logged update. */
  time: string | null
  user: string | null
  host: string | null
  message: string
}

export interface ReflogResult {
  /** The ref's store name, e.g. 'branches/main'. */
  ref: string
  /** The name as written in selectors, e.g. 'main'. */
  name: string
  /** The ref's current value; null when it does not exist (deleted). */
  current: string | null
  entries: ReflogLine[]
}

export interface ReflogOptions {
  /** At most this many lines (`-n`). */
  limit?: number
}

export interface RestoreBranchOptions {
  /** Move the branch even when that drops commits it gained since the entry. */
  force?: boolean
}

export interface RestoreBranchResult {
  branch: string
  snapshot: string
  /** The branch's value before (null: it did not exist, and was re-created). */
  previous: string | null
  created: boolean
  /** Commits the branch no longer reaches (only with force). */
  dropped: number
}

/** `dv reset` modes (format-spec/workspace.md#reset): soft and mixed keep the staged changes, hard discards them. */
export const RESET_MODES = ['soft', 'mixed', 'hard'] as const
export type ResetMode = (typeof RESET_MODES)[number]

export interface ResetOptions {
  /** Default: mixed. */
  mode?: ResetMode
  /** Move the branch even when REV does not descend from its head (dropping commits). */
  force?: boolean
  /** Default: the checked-out branch (main without a workspace). */
  branch?: string
}

export interface ResetResult {
  branch: string
  mode: ResetMode
  snapshot: string
  previous: string
  /** Commits the branch no longer reaches. */
  dropped: number
  /** Staged changes discarded (hard). */
  unstaged: number
}

export interface UnstageOptions {
  /** Only the staged changes of these tables (default: all). */
  tables?: string[]
  /** Only this staged change: its id or a unique prefix of at least 4 characters (as `dv status` shows it). */
  change?: string
  /** Default: the checked-out branch. */
  branch?: string
}

export interface UnstageResult {
  branch: string
  unstaged: StagedChangeInfo[]
}

export interface SetKeyOptions {
  /** Default: the checked-out branch (main without a workspace). */
  branch?: string
  /** Default: `set primary key of TABLE to COLS`. */
  message?: string
  author?: string
}

export interface SetKeyResult {
  table: string
  /** The key's columns, in key order. */
  key: string[]
  /** False when the table already had exactly this key (nothing was committed). */
  changed: boolean
  /** The commit that set it (when changed). */
  commit?: CommitResult
}

/**
 * `dv diff` (Repository.diff): which two states to compare. With neither
 * `from` nor `to`, HEAD against the staged state (HEAD plus the workspace's
 * staged changes, like `git diff --cached`; without a workspace nothing is
 * staged); with `from` only, `from` against HEAD; with both, `from` against
 * `to` (any two snapshots, across branches too).
 */
export interface DiffOptions {
  from?: string
  to?: string
  /** Only these tables; each must exist on one side at least (else NOT_FOUND). */
  tables?: string[]
}

export interface DiffSide {
  /** The revision as given ('HEAD' for a default). */
  rev: string
  snapshot: string
  /** The staged state: `snapshot` is HEAD's, with the staged changes applied on top. */
  staged: boolean
}

/** What changed in one table (unchanged tables are not listed). */
export interface TableDiff {
  table: string
  /** created, dropped, replaced (dropped and created again under its name: nothing carries over) or modified. */
  status: 'created' | 'dropped' | 'replaced' | 'modified'
  tableId: { before: string | null; after: string | null }
  rows: { before: number; after: number; added: number; removed: number }
  files: { before: number; after: number; added: number; removed: number }
  bytes: { before: number; after: number; added: number; removed: number }
  /** By field id at every depth; [] unless modified. */
  schema: SchemaChange[]
  /** Rows and files added and removed per partition, in partition order; [] when unpartitioned. */
  partitions: PartitionDiff[]
  /** Statistics of the rows added and removed, per leaf column, for every column when files changed. */
  columns: ColumnDiff[]
  /** Table properties that were added, removed or changed. */
  properties: Array<{ key: string; before: string | null; after: string | null }>
  /** Present when the table's data contract was set, changed or removed: both texts and a line diff (` `, `-`, `+` prefixes). */
  contract?: { change: 'set' | 'changed' | 'removed'; before: string | null; after: string | null; lines: string[] }
}

export interface PartitionDiff {
  /** Partition field name -> value (canonical text, or null), e.g. { ts_day: '2026-03-02' }. */
  values: Record<string, string | null>
  rowsAdded: number
  rowsRemoved: number
  filesAdded: number
  filesRemoved: number
}

/**
 * A column's statistics over the files added and the files removed (from
 * the manifests: no data is read). Table-wide min/max are not recomputed:
 * that would read every manifest, and a diff reads only those that differ.
 */
export interface ColumnDiff {
  id: number
  /** Dotted path on the newer side that has the column. */
  path: string
  nulls: { added: number; removed: number }
  /** Smallest and largest non-null value in the added files (absent when unknown or all null). */
  added: { min?: string; max?: string }
  removed: { min?: string; max?: string }
}

export interface DiffResult {
  from: DiffSide
  to: DiffSide
  tables: TableDiff[]
}

/** Row-level changes of one table (`dv diff --rows`, Repository.diffRows / diffRowsTo). */
export interface DiffRowsOptions {
  from?: string
  to?: string
  /**
   * Key columns: rows with the same key on both sides and different values
   * are an update (update_before, update_after). Default: the table's key,
   * if it has one; without a key there are only inserts and deletes.
   */
  key?: string[]
  /** Output columns, in this order (the comparison always uses every column). */
  columns?: string[]
  /** Only changes whose row matches (an update when either image matches: both are kept). */
  where?: string
  /** At most this many rows (an update counts as two). */
  limit?: number
}

export interface DiffRowsToOptions extends DiffRowsOptions {
  format?: OutputFormat
  /** Add a `_table` column holding the table name (a multi-table change feed). */
  tableColumn?: boolean
}

export interface DiffRowsResult {
  table: string
  from: DiffSide
  to: DiffSide
  /** Rows written (after --where and --limit). */
  rows: number
  /** The whole change (after --where, before --limit): rows inserted and deleted, and updates (each one before and one after row). */
  inserted: number
  deleted: number
  updated: number
  /** The key used for updates, if any. */
  key: string[] | null
}

/** How a three-way apply resolves conflicts (format-spec/merge.md#strategies); default: it aborts. */
export type MergeStrategy = 'ours' | 'theirs'

/** A conflicting schema field (format-spec/merge.md): its text (`name type [not null]`) on each side, null where absent. */
export interface FieldConflict {
  id: number
  base: string | null
  ours: string | null
  theirs: string | null
}

/** A conflicting key: its values, and the whole row at base, ours and theirs (null: no row). */
export interface KeyConflict {
  key: Record<string, unknown>
  base: Record<string, unknown> | null
  ours: Record<string, unknown> | null
  theirs: Record<string, unknown> | null
}

/** One table's conflict in a merge, revert or cherry-pick (format-spec/merge.md#the-conflict-report). */
export interface MergeConflict {
  table: string
  /** The conflict rule: a conflicts.md name (partitions-changed, file-removed, schema-changed, ...) or key-conflict. */
  rule: string
  message: string
  /** The conflicting partitions, by partition field name. */
  partitions?: Array<Record<string, string | null>>
  fields?: FieldConflict[]
  /** Up to 10 conflicting keys; `keyCount` says how many conflict in all. */
  keys?: KeyConflict[]
  keyCount?: number
}

export interface MergeOptions {
  /** Target branch; default: the checked-out one (main without a workspace). */
  into?: string
  /** Commit message; default `merge SOURCE into BRANCH`. */
  message?: string
  /** Make a merge commit even when a fast-forward is possible. */
  noFf?: boolean
  strategy?: MergeStrategy
  /** Compute the merge (or the conflict report) and write nothing. */
  dryRun?: boolean
  /** Merge histories with no common ancestor, against the empty repository. */
  allowUnrelated?: boolean
  /**
   * Recorded in the merge commit (format-spec/merge.md#idempotency): a retry
   * with the same key on the same target returns the merge commit that
   * landed (`idempotentReplay`), even when the target moved since; the same
   * key for another source (or strategy) is a CONFLICT. A keyed merge always
   * makes a merge commit (a fast-forward would record no key).
   */
  idempotencyKey?: string
  /**
   * False skips the tables' contracts (`--no-verify`); the result then says
   * `checks: 'skipped'`. A branch protected with --require-checks runs them
   * anyway (`checks: 'required'`).
   */
  verify?: boolean
  /**
   * Cancels the request. Until the result's commit is about to be written, an
   * abort stops the work (interrupting the engine's running statement in a
   * key-level merge), moves no ref and rejects with `signal.reason`; data files
   * already written stay unreferenced (no ref reaches them). After that it completes:
   * an abort never leaves a ref update half done.
   */
  signal?: AbortSignal
}

export interface MergeResult {
  /** up-to-date and fast-forward make no commit; conflict only with dryRun (otherwise a CONFLICT error carries the report). */
  status: 'up-to-date' | 'fast-forward' | 'merged' | 'conflict'
  branch: string
  source: string
  /** The source's snapshot. */
  sourceSnapshot: string
  /** The merge base (null: unrelated histories); with several, the first of `bases`. */
  base: string | null
  /**
   * Every best common ancestor, newest first: one, or several after
   * criss-cross merges, which dv merges into a virtual base (in memory) to
   * merge against.
   */
  bases: string[]
  /** The target's head before. */
  previous: string
  /** The target's head after (or, dry run, what it would be; '' when a merge commit is not written). */
  snapshot: string
  /** The changes relative to the previous head, per table. */
  tables: Record<string, TableChange>
  conflicts: MergeConflict[]
  dryRun: boolean
  /** True when the merge commit with the same idempotency key had landed already and is returned (nothing was written). */
  idempotentReplay: boolean
  /** Present only when `verify: false` was asked: 'skipped' (the contracts did not run) or 'required' (the branch ran them anyway). */
  checks?: ChecksRun
}

export interface RevertOptions {
  /** Default: the checked-out branch. */
  branch?: string
  /** For a merge commit: which parent (1-based) the change is taken against. */
  mainline?: number
  message?: string
  /** Commit even when the result changes nothing. */
  allowEmpty?: boolean
  strategy?: MergeStrategy
  /**
   * False skips the tables' contracts (`--no-verify`); the result then says
   * `checks: 'skipped'`. A branch protected with --require-checks runs them
   * anyway (`checks: 'required'`).
   */
  verify?: boolean
  dryRun?: boolean
  /**
   * Cancels the request. Until the result's commit is about to be written, an
   * abort stops the work (interrupting the engine's running statement in a
   * key-level merge), moves no ref and rejects with `signal.reason`; data files
   * already written stay unreferenced (no ref reaches them). After that it completes:
   * an abort never leaves a ref update half done.
   */
  signal?: AbortSignal
}

export type CherryPickOptions = RevertOptions

export interface RevertResult {
  status: 'applied' | 'conflict'
  branch: string
  /** The reverted (or cherry-picked) commit. */
  rev: string
  previous: string
  /** The new head ('' with dryRun). */
  snapshot: string
  message: string
  tables: Record<string, TableChange>
  conflicts: MergeConflict[]
  dryRun: boolean
  /** Present only when `verify: false` was asked: 'skipped' (the contracts did not run) or 'required' (the branch ran them anyway). */
  checks?: ChecksRun
}

/**
 * One schema change (`dv table alter`): paths reach fields inside structs
 * (`payload.user.id`, `items.element.sku`); types are in the schema text form
 * (format-spec/table-metadata.md#schema-text) or, for add-column, a Type.
 */
export type AlterTableChange =
  | { action: 'add-column'; path: string; type: string | Type; required?: boolean }
  | { action: 'rename-column'; path: string; name: string }
  | { action: 'drop-column'; path: string }
  | { action: 'widen'; path: string; type: string }

export interface AlterTableOptions {
  branch?: string
  /** Commit message (default `alter TABLE: CHANGE`). */
  message?: string
  author?: string
}

export interface AlterTableResult {
  table: string
  branch: string
  /** The change as the CLI spells it, e.g. `rename-column payload.user.id uid`. */
  change: string
  /** The table's schema after the change, in the schema text form. */
  schema: string
  /** Each alter is a commit of its own. */
  commit: CommitResult
}

export interface TableSchemaResult {
  table: string
  snapshot: string
  /** The schema text form, which `--schema` takes back. */
  text: string
  schema: Schema
  lastColumnId: number
}

/** One rule of a data contract as evaluated (format-spec/contracts.md). */
export interface ContractRuleResult {
  /** The rule's `name` in the contract, or `COLUMN.CHECK`. */
  name: string
  kind: 'row' | 'unique' | 'metric' | 'sql' | 'freshness' | 'volume'
  column?: string
  /** What was measured: `required`, `pattern ^[A-Z]{2}$`, `nullValues`, `sql: SELECT ...`. */
  check: string
  status: 'passed' | 'failed'
  /** The measured value (rows, repeated values, percent, seconds, the sql rule's number); null when there is none. */
  measured: number | null
  /** The bound it was held to, as text (`= 0 rows`, `< 5%`, `between 1 and 10`). */
  bound: string
  /** Whether statistics decided the rule, or the engine read data. */
  by: 'statistics' | 'engine'
  /** What the rule covered: the rows the commit adds, or the whole table. */
  scope: 'added rows' | 'table'
  /** Up to 5 failing rows, every column as text. */
  samples: Array<Record<string, string | null>>
  /** `FILE:LINE:COLUMN` of the rule in the contract. */
  where: string
  /** Data files the engine read for the rule, when it read any (uniqueness: added plus pruned candidates). */
  filesRead?: number
  message?: string
}

/** A part of a contract dv does not enforce (accepted with --allow-unsupported, listed in every report). */
export interface ContractUnsupported {
  what: string
  where: string
}

export interface ContractReport {
  table: string
  /** The snapshot the table was evaluated at (a check), or the commit's parent (a refused commit). */
  snapshot: string
  /** The contract's schema object used for the table. */
  object: string
  passed: boolean
  rules: ContractRuleResult[]
  skipped: ContractUnsupported[]
}

export interface ContractSetOptions {
  /** The file name messages give (default: 'contract'). */
  file?: string
  /** Accept a contract with rules dv does not enforce (they are listed in the result and in every report). */
  allowUnsupported?: boolean
  branch?: string
  message?: string
  author?: string
}

export interface ContractSetResult {
  table: string
  changed: boolean
  /** The rules dv enforces, by name. */
  rules: string[]
  unsupported: ContractUnsupported[]
  commit?: CommitResult
}

export interface ContractShowResult {
  table: string
  snapshot: string
  /** The contract's text as set; null when the table has none. */
  text: string | null
  format: string | null
}

export interface ContractRemoveOptions {
  branch?: string
  message?: string
  author?: string
}

export interface ContractRemoveResult {
  table: string
  changed: boolean
  commit?: CommitResult
}

export interface CheckOptions {
  at?: string
}

/** `dv export TABLE --format iceberg --to DIR` (format-spec/iceberg-export.md). */
export interface ExportOptions {
  /** Only 'iceberg' (format version 2). */
  format?: 'iceberg'
  /** The export location: a local directory (path or file:// URI); empty, or holding an earlier export of the same table. */
  to: string
  /** The dv snapshot to export (default HEAD); it becomes Iceberg's current snapshot and `main`. */
  at?: string
  /** Every commit of the table's first-parent history, not only the last `limit` (default 100). */
  allHistory?: boolean
  limit?: number
  /** Adds an Iceberg ref for each dv branch and tag whose table state is among the exported snapshots. */
  branchRefs?: boolean
  /**
   * Registers the export in a SQL catalog: `sql:PATH`, a SQLite file as PyIceberg's SqlCatalog
   * lays it out (created if absent). The catalog pointer moves last, by compare-and-swap.
   */
  catalog?: string
  /** The catalog's name (PyIceberg's `SqlCatalog(name, ...)`); default 'dv'. */
  catalogName?: string
  /** Default: the dv table name's part before its last '.', or 'default'. */
  namespace?: string
  /** Default: the dv table name's last '.'-separated part. */
  tableName?: string
}

/** Where `dv export --catalog` registered the export, and what it did there. */
export interface CatalogRegistration {
  /** The SQLite file (an absolute path). */
  catalog: string
  catalogName: string
  namespace: string
  tableName: string
  metadataLocation: string
  previousMetadataLocation: string | null
  /** created: a new row; updated: the row moved from previousMetadataLocation; unchanged: it already pointed here. */
  action: 'created' | 'updated' | 'unchanged'
}

export interface ExportResult {
  table: string
  format: 'iceberg'
  /** The table location (an absolute URI). */
  location: string
  /** The metadata file that is current now (`<location>/metadata/v<N>.metadata.json`). */
  metadata: string
  version: number
  /** The dv snapshot that is Iceberg's current snapshot, and its Iceberg snapshot id (a decimal string). */
  snapshot: string
  icebergSnapshotId: string
  /** Iceberg snapshots in the metadata, and how many of them this run wrote. */
  snapshots: number
  newSnapshots: number
  manifestsWritten: number
  /** True when the target already held exactly this export: nothing was written. */
  upToDate: boolean
  /** With `catalog`: the registration. */
  catalog?: CatalogRegistration
  refs: string[]
  skippedRefs: string[]
  /** The snapshot retention expired where the history stopped: it and the commits before it are not exported. */
  expiredAt?: string
}
