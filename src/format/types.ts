/**
 * The in-memory model of every on-disk object (format-spec/ is normative).
 * Pure types: no I/O. On disk, keys are kebab-case; only src/format knows
 * the mapping (parseX and serializeX in the sibling modules).
 */
import type { ObjectId, SnapshotId } from '../ids.js'

export const FORMAT_VERSION = 1

/** Kind tags, one per object kind; each JSON object carries its tag in "kind". */
export const KINDS = {
  config: 'dv:config:v1',
  snapshot: 'dv:snapshot:v1',
  table: 'dv:table:v1',
  manifest: 'dv:manifest:v1',
  reflog: 'dv:reflog:v1',
  settings: 'dv:settings:v1',
  expiry: 'dv:expiry:v1',
  lease: 'dv:lease:v1',
} as const

/** Settings with a retention policy are written as this kind; settings without one keep v1, byte for byte (format-spec/settings.md#kinds). */
export const SETTINGS_KIND_V2 = 'dv:settings:v2'

/**
 * Table metadata whose schema uses a type outside version 1 of the table kind
 * (a nested type, or time, timestamp_ns, timestamptz_ns, uuid, fixed(L)) is
 * written as this kind, so that a dv that only knows `dv:table:v1` refuses it
 * as UNSUPPORTED instead of misreading it (format-spec/objects.md#kinds).
 */
export const TABLE_KIND_V2 = 'dv:table:v2'

/**
 * Table metadata with a primary key (`identifier-field-ids`) is written as
 * this kind, whatever its types: a dv that knows only v1 and v2 would write
 * duplicate keys into it without knowing, so it must refuse the table as
 * UNSUPPORTED (format-spec/table-metadata.md#primary-key).
 */
export const TABLE_KIND_V3 = 'dv:table:v3'

/**
 * Table metadata with a data contract (`contract`) is written as this kind,
 * whatever its key and types: a dv that knows only v1 to v3 would commit
 * into it without enforcing the contract, so it must refuse the table as
 * UNSUPPORTED (format-spec/table-metadata.md#data-contract).
 */
export const TABLE_KIND_V4 = 'dv:table:v4'

/**
 * A snapshot with a `replace` change (a compaction: files rewritten, data
 * unchanged) is written as this kind, and only then: a dv that knows only
 * v1 refuses it as UNSUPPORTED instead of failing on an unknown operation
 * (format-spec/snapshot.md#kinds).
 */
export const SNAPSHOT_KIND_V2 = 'dv:snapshot:v2'
/** A snapshot with `lineage` (format-spec/snapshot.md#kinds); it may hold a `replace` change too. */
export const SNAPSHOT_KIND_V3 = 'dv:snapshot:v3'

/** The only contract format dv reads: the Open Data Contract Standard v3.1.0, as YAML text. */
export const CONTRACT_FORMAT = 'odcs-v3.1.0'

/** A table's data contract as stored (format-spec/table-metadata.md#data-contract): the user's YAML, verbatim. */
export interface TableContract {
  format: typeof CONTRACT_FORMAT
  /** The contract file's text, byte for byte as set (comments and line numbers kept for messages). */
  text: string
}

/**
 * Primitive column types (format-spec/table-metadata.md#types). `timestamp`
 * and `timestamptz` have microsecond precision, `timestamp_ns` and
 * `timestamptz_ns` nanosecond precision; the `tz` forms are instants in UTC,
 * the others wall-clock readings. `time` is a time of day in microseconds.
 * Decimals are written `decimal(P,S)`, fixed-length bytes `fixed(L)`.
 */
export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'string'
  | 'binary'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'timestamp_ns'
  | 'timestamptz_ns'
  | 'uuid'
  | `decimal(${number},${number})`
  | `fixed(${number})`

/** A struct: named fields, each with its own id (format-spec/table-metadata.md#nested-types). */
export interface StructType {
  type: 'struct'
  fields: Field[]
}

/** A list: its element has a field id, like a struct field without a name. */
export interface ListType {
  type: 'list'
  elementId: number
  element: Type
  elementRequired: boolean
}

/** A map: key and value have field ids; keys are always required (never null). */
export interface MapType {
  type: 'map'
  keyId: number
  key: Type
  valueId: number
  value: Type
  valueRequired: boolean
}

export type NestedType = StructType | ListType | MapType

/** Any column type. Code that handles only primitives narrows with isPrimitive() or primitiveTypeOf(). */
export type Type = PrimitiveType | NestedType

export interface Field {
  /** Stable id, unique within the table at every depth, never reused (rename keeps it). */
  id: number
  name: string
  type: Type
  required: boolean
}

/** The columns of a table: a struct without the `type` tag (format-spec/table-metadata.md#schema). */
export interface Schema {
  fields: Field[]
}

export type Transform = 'identity' | 'day' | 'month' | 'year'

export interface PartitionField {
  /** Field id of the source column in the schema. */
  sourceId: number
  /** Partition field id, >= 1000, unique within the table. */
  fieldId: number
  /** Name, e.g. `ts_day` for day(ts) or `country` for identity. */
  name: string
  transform: Transform
}

/**
 * Every stat and partition value is a string in the canonical text form of
 * its type (format-spec/values.md), or null. This keeps int64 and decimals
 * exact in JSON.
 */
export type Value = string | null

/** Per-column facts about one data file, keyed by field id in DataFile.columns. */
export interface ColumnInfo {
  /** Physical column name inside the Parquet file (resolves a field id without rewriting on rename). */
  name: string
  /** Smallest non-null value, absent when unknown or all null. */
  min?: string
  /** Largest non-null value, absent when unknown or all null. */
  max?: string
  /** Number of null values. */
  nulls: number
}

export interface DataFile {
  /** ObjectId of the Parquet bytes. */
  id: ObjectId
  format: 'parquet'
  rows: number
  bytes: number
  /** Partition values keyed by partition field id (decimal string). Empty for unpartitioned tables. */
  partition: Record<string, Value>
  /** Keyed by field id (decimal string). A field absent here is absent from the file (reads as null). */
  columns: Record<string, ColumnInfo>
}

export interface Manifest {
  files: DataFile[]
}

/** Lower/upper partition values across the files of one manifest, for pruning without reading it. */
export interface PartitionBounds {
  lower: Value
  upper: Value
  containsNull: boolean
}

export interface ManifestRef {
  id: ObjectId
  files: number
  rows: number
  bytes: number
  /** Keyed by partition field id; absent for unpartitioned tables. */
  partitions: Record<string, PartitionBounds>
}

export interface TableMetadata {
  /** Random UUID fixed at creation; tells a re-created table from the old one. */
  tableId: string
  schema: Schema
  /** Highest field id ever assigned (ids are never reused). */
  lastColumnId: number
  partitionSpec: PartitionField[]
  manifests: ManifestRef[]
  properties: Record<string, string>
  /**
   * The primary key: field ids of top-level, required, primitive columns, in
   * key order (Iceberg's identifier-field-ids). Absent or empty: no key.
   */
  identifierFieldIds?: number[]
  /** The table's data contract; absent: none (format-spec/table-metadata.md#data-contract). */
  contract?: TableContract
}

export interface TableChange {
  operation: 'create' | 'append' | 'overwrite' | 'delete' | 'replace-partitions' | 'upsert' | 'drop' | 'schema' | 'replace'
  addedFiles: number
  removedFiles: number
  addedRows: number
  removedRows: number
  addedBytes: number
  removedBytes: number
}

export interface Snapshot {
  /** First parent is the branch's previous head; merges have two. Empty for a root. */
  parents: SnapshotId[]
  /** Commit time, milliseconds since the Unix epoch; strictly increasing along first parents. */
  timestampMs: number
  author: string
  message: string
  /** Every table in the repository at this snapshot -> its TableMetadata object id. */
  tables: Record<string, ObjectId>
  /** Only the tables this commit changed. */
  summary: Record<string, TableChange>
  idempotencyKey?: string
  /** SHA-256 (hex) of the request that idempotencyKey names. */
  fingerprint?: string
  /** What produced the commit (format-spec/snapshot.md#lineage); absent when nothing was recorded. */
  lineage?: Lineage
}

/** The lineage of a commit: the code version, the inputs read, and the pipeline's own key=value pairs; at least one. */
export interface Lineage {
  code?: CodeVersion
  /** One per write whose input was a file or stream, in the order the changes applied. */
  inputs?: LineageInput[]
  /** `--meta key=value` pairs (e.g. an orchestrator's run id). */
  meta?: Record<string, string>
}

/** The Git commit of the code that ran the write, read from the work tree it ran in. */
export interface CodeVersion {
  /** The work tree's remote `origin` URL without credentials; absent without such a remote. */
  repository?: string
  /** The checked-out commit id (40 hex digits; 64 in a SHA-256 repository). */
  commit: string
  /** The checked-out branch; absent on a detached HEAD. */
  branch?: string
  /**
   * True when a tracked file differed from the commit (in the work tree or the index); absent when dv did
   * not check (a work tree tracking more files than dv checks at a commit: format-spec/snapshot.md#lineage).
   */
  dirty?: boolean
}

export interface LineageInput {
  table: string
  /** The input as dv opened it: the path (the CLI's, resolved), `<stdin>`, `<stream>` or `<arrow>`. */
  name: string
  bytes: number
  /** SHA-256 of the input's bytes as read (before any decompression dv does). */
  sha256: string
}

export interface RepositoryConfig {
  formatVersion: number
  repositoryId: string
  createdMs: number
}

/**
 * One update of one ref, as its reflog records it (format-spec/reflog.md):
 * the value before and after (null: absent, i.e. a creation or a deletion),
 * when, by whom, and the command that made it.
 */
export interface ReflogEntry {
  /** The ref's store name: `branches/<name>`, `tags/<name>`, or `settings` (whose old and new are settings objects). */
  ref: string
  old: SnapshotId | null
  new: SnapshotId | null
  timeMs: number
  user: string
  host: string
  /** The command, e.g. `commit: load march`, `reset --hard main~2`, `branch -d`. */
  message: string
}

/** How one protected branch may move (format-spec/settings.md#branch-protection). */
export interface BranchProtection {
  /** A commit or merge must pass the tables' contracts; `--no-verify` cannot skip them. */
  requireChecks: boolean
  /** Only merges may move the branch: no direct write, commit, revert or cherry-pick. */
  requireMerge: boolean
}

/** The repository settings (format-spec/settings.md): one content-addressed object per version, chained by `parent`. */
export interface RepositorySettings {
  /** The settings object this one replaced; null for the first. */
  parent: ObjectId | null
  timeMs: number
  author: string
  /** What changed, e.g. `branch protect main --require-checks`. */
  message: string
  /** Branch name -> its protection; a branch not listed is not protected. */
  protectedBranches: Record<string, BranchProtection>
  /** Retention policies (format-spec/retention.md); absent or empty: nothing expires, and the object is written as v1. */
  retention?: Retention
}

/**
 * How long a branch keeps its snapshots (format-spec/retention.md#policy): a
 * snapshot stays while it is one of the last `keepLast` commits of the
 * branch's first-parent chain, or younger than `keepDays` days. A null
 * limit keeps nothing by that measure; at least one is set.
 */
export interface RetentionPolicy {
  keepDays: number | null
  keepLast: number | null
}

export interface Retention {
  /** Branches without a policy of their own, and snapshots named only by reflog entries. */
  default: RetentionPolicy | null
  /** Branch name -> its own policy. */
  branches: Record<string, RetentionPolicy>
}

/** Why one snapshot expired (format-spec/retention.md#expiry-record). */
export interface ExpiredSnapshot {
  /** The branch whose policy expired it; null: the repository default (a snapshot named only by reflog entries, or on a branch without a policy). */
  branch: string | null
  keepDays: number | null
  keepLast: number | null
  /** The store's clock when the expiry that listed it began (format-spec/gc.md#time). */
  timeMs: number
}

/** The expiry record (format-spec/retention.md#expiry-record): every expired snapshot so far, one version per `dv expire`. */
export interface ExpiryRecord {
  parent: ObjectId | null
  timeMs: number
  author: string
  message: string
  expired: Record<string, ExpiredSnapshot>
}
