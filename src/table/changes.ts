/**
 * A change to one table (a write), and how it applies to the table's
 * metadata at commit time. Applying first re-validates the change against
 * the table as it is now (format-spec/commit-protocol.md, the rules of
 * conflicts.ts): appends always rebase; an overwrite conflicts if the table
 * changed since the write read it; new columns conflict if the schema
 * changed meanwhile.
 */
import type { ObjectId, SnapshotId } from '../ids.js'
import type { WriteMode } from '../api-types.js'
import type { DataFile, LineageInput, ManifestRef, PartitionField, Schema, TableChange, TableMetadata, Value } from '../format/types.js'
import type { PrunablePredicate } from '../io/types.js'
import { summarizePartitions } from '../format/index.js'
import { readManifest, writeManifest, type RepoContext } from './context.js'
import { CONFLICT_RULES, addsNestedFields, checkConflicts, conflictError } from './conflicts.js'
import { shortId } from '../ids.js'

/** A data file a change removes, with the manifest the write found it in. */
export interface RemovedFile {
  id: ObjectId
  rows: number
  bytes: number
  manifest: ObjectId
}

/**
 * What a change read, and so what a concurrent commit must not have touched
 * (format-spec/conflicts.md):
 * - none: appends (always rebase);
 * - table: the whole table (a full overwrite);
 * - partitions: the partitions it replaces;
 * - rows: rows matching the predicates (delete, overwrite --where, upsert).
 */
export type ConflictScope =
  | { kind: 'none' }
  | { kind: 'table' }
  | { kind: 'partitions'; partitions: Array<Record<string, Value>> }
  | { kind: 'rows'; predicates: PrunablePredicate[] }

export interface PendingChange {
  id: string
  table: string
  mode: WriteMode
  createdMs: number
  /** True when the write created the table. */
  creates: boolean
  tableId: string
  /** Snapshot the write read (the branch head then). */
  baseSnapshot: SnapshotId
  /** Table metadata id at that snapshot (null: the table did not exist there). */
  baseTable: ObjectId | null
  /** last-column-id of the table the write was planned against (head plus earlier staged changes). */
  baseLastColumnId: number
  schema: Schema
  lastColumnId: number
  partitionSpec: PartitionField[]
  /** Data files added. */
  files: DataFile[]
  /** Data files removed (row-level modes and replace-partitions). */
  removes: RemovedFile[]
  scope: ConflictScope
  /** SHA-256 of the request (input bytes, table, mode, options), when an idempotency key needs it. */
  fingerprint?: string
  /** The input the write read, recorded in the commit's lineage (format-spec/snapshot.md#lineage); absent for a delete. */
  input?: Omit<LineageInput, 'table'>
  /**
   * Set for a schema change (`dv table alter`): `schema` replaces the table's
   * whole, no data file changes. Committed at once, never staged.
   */
  alter?: string
  /**
   * Set for a compaction (`dv compact`): `files` hold exactly the rows of
   * `removes`; the commit records `replace`. Committed at once, never staged.
   */
  compact?: boolean
  /** A new table's properties (its CSV options); absent: none. */
  properties?: Record<string, string>
  /** The primary key (field ids) the write was planned against; absent: none (conflicts.ts: key-changed). */
  baseKey?: number[]
  /** For a keyed table: the range of the keys this change adds, which no concurrently added file may hold (conflicts.ts: key-may-repeat). */
  keyScope?: PrunablePredicate[]
}

/** Manifests beyond this count are merged on the next commit, keeping table metadata small. */
export const MAX_MANIFESTS = 64
const MERGE_BELOW_FILES = 1000

/** The schema after this change (its columns were checked by the schemaChanged rule): the table's, plus the columns it adds. */
function mergeSchema(current: TableMetadata, change: PendingChange): { schema: Schema; lastColumnId: number } {
  // fields added inside existing columns: schemaChanged checked the table's schema is the one the write evolved
  if (addsNestedFields(change)) return { schema: change.schema, lastColumnId: change.lastColumnId }
  const added = change.schema.fields.filter((f) => f.id > change.baseLastColumnId)
  if (added.length === 0) return { schema: current.schema, lastColumnId: current.lastColumnId }
  return { schema: { fields: [...current.schema.fields, ...added] }, lastColumnId: change.lastColumnId }
}

async function newManifest(ctx: RepoContext, spec: PartitionField[], schema: Schema, files: DataFile[]): Promise<ManifestRef> {
  const id = await writeManifest(ctx, { files })
  return {
    id,
    files: files.length,
    rows: files.reduce((n, f) => n + f.rows, 0),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    partitions: summarizePartitions(spec, files, schema),
  }
}

/** Merges small manifests when there are too many, so a commit stays O(changed files). */
async function compactManifests(ctx: RepoContext, spec: PartitionField[], schema: Schema, manifests: ManifestRef[]): Promise<ManifestRef[]> {
  if (manifests.length <= MAX_MANIFESTS) return manifests
  const small = manifests.filter((m) => m.files < MERGE_BELOW_FILES)
  if (small.length < 2) return manifests
  const files: DataFile[] = []
  for (const m of small) files.push(...(await readManifest(ctx, m.id)).files)
  const merged = await newManifest(ctx, spec, schema, files)
  const smallIds = new Set(small.map((m) => m.id))
  const firstSmall = manifests.findIndex((m) => smallIds.has(m.id))
  const kept = manifests.filter((m) => !smallIds.has(m.id))
  kept.splice(Math.min(firstSmall, kept.length), 0, merged)
  return kept
}

function totals(manifests: ManifestRef[]): { files: number; rows: number; bytes: number } {
  return manifests.reduce((t, m) => ({ files: t.files + m.files, rows: t.rows + m.rows, bytes: t.bytes + m.bytes }), { files: 0, rows: 0, bytes: 0 })
}

export interface AppliedChange {
  table: TableMetadata
  summary: TableChange
}

/**
 * Removes the change's files (by occurrence) from the manifests that hold
 * them, writing new manifests. A file that is no longer in the table was
 * removed or rewritten concurrently: CONFLICT, before anything is written.
 */
async function removeFiles(
  ctx: RepoContext, table: TableMetadata, schema: Schema, removes: readonly RemovedFile[], missingError: (id: ObjectId) => Error,
): Promise<ManifestRef[]> {
  if (removes.length === 0) return [...table.manifests]
  const pending = new Map<string, number>()
  for (const r of removes) pending.set(r.id, (pending.get(r.id) ?? 0) + 1)
  let remaining = removes.length
  const hinted = new Set(removes.map((r) => r.manifest))
  // hinted manifests first, then the rest only if something is still missing (moved by compaction)
  const order = [...table.manifests.filter((m) => hinted.has(m.id)), ...table.manifests.filter((m) => !hinted.has(m.id))]
  const kept = new Map<ManifestRef, DataFile[]>()
  for (const m of order) {
    if (remaining === 0) break
    const files = (await readManifest(ctx, m.id)).files
    const keep = files.filter((f) => {
      const n = pending.get(f.id) ?? 0
      if (n === 0) return true
      pending.set(f.id, n - 1)
      remaining--
      return false
    })
    if (keep.length !== files.length) kept.set(m, keep)
  }
  if (remaining > 0) {
    throw missingError([...pending].find(([, n]) => n > 0)![0] as ObjectId)
  }
  const out: ManifestRef[] = []
  for (const m of table.manifests) {
    const keep = kept.get(m)
    if (keep === undefined) out.push(m)
    else if (keep.length > 0) out.push(await newManifest(ctx, table.partitionSpec, schema, keep))
  }
  return out
}

/**
 * Applies `change` to `current` (the table after earlier changes of the same
 * commit; null if absent) on top of snapshot `head`, where the table's
 * metadata id is `headTable`. Throws CONFLICT when a concurrent commit
 * touched what the change read.
 */
export async function applyChange(
  ctx: RepoContext, current: TableMetadata | null, headTable: ObjectId | null, change: PendingChange, head: SnapshotId,
): Promise<AppliedChange> {
  if (change.alter) return applyAlter(current, headTable, change, head)
  await checkConflicts({ ctx, current, headTable, head, change })
  const added = { files: change.files.length, rows: sum(change.files, 'rows'), bytes: sum(change.files, 'bytes') }
  if (current === null) {
    const manifests = change.files.length ? [await newManifest(ctx, change.partitionSpec, change.schema, change.files)] : []
    return {
      table: {
        tableId: change.tableId, schema: change.schema, lastColumnId: change.lastColumnId,
        partitionSpec: change.partitionSpec, manifests, properties: { ...change.properties },
      },
      summary: summaryOf('create', added, { files: 0, rows: 0, bytes: 0 }),
    }
  }
  const { schema, lastColumnId } = mergeSchema(current, change)
  const fullOverwrite = change.scope.kind === 'table'
  const removed = fullOverwrite
    ? totals(current.manifests)
    : { files: change.removes.length, rows: sum(change.removes, 'rows'), bytes: sum(change.removes, 'bytes') }
  const missing = (id: ObjectId) => conflictError(change, head, CONFLICT_RULES.fileRemoved, `data file ${shortId(id)} that it rewrites was removed or rewritten concurrently`)
  const manifests = fullOverwrite
    ? await applyFileChanges(ctx, { ...current, schema, manifests: [] }, [], change.files, missing)
    : await applyFileChanges(ctx, { ...current, schema }, change.removes, change.files, missing)
  return {
    table: { ...current, schema, lastColumnId, manifests },
    summary: summaryOf(change.compact ? 'replace' : change.mode, added, removed),
  }
}

/**
 * The manifest list of `table` with `removes` taken out (by occurrence;
 * a file not in the table is `missingError`, raised before anything is
 * written) and `adds` listed in one new manifest, compacted when there are
 * too many: the one way a change (a write, a merge) edits a table's files.
 */
export async function applyFileChanges(
  ctx: RepoContext, table: TableMetadata, removes: readonly RemovedFile[], adds: DataFile[], missingError: (id: ObjectId) => Error,
): Promise<ManifestRef[]> {
  const manifests = await removeFiles(ctx, table, table.schema, removes, missingError)
  if (adds.length) manifests.push(await newManifest(ctx, table.partitionSpec, table.schema, adds))
  return compactManifests(ctx, table.partitionSpec, table.schema, manifests)
}

/** A schema change applies only to the table as it was planned against: any concurrent change to the table is a conflict. */
function applyAlter(current: TableMetadata | null, headTable: ObjectId | null, change: PendingChange, head: SnapshotId): AppliedChange {
  if (current === null || headTable !== change.baseTable) {
    throw conflictError(change, head, CONFLICT_RULES.tableChanged,
      `the table changed while '${change.alter}' was planned (metadata ${change.baseTable ? shortId(change.baseTable) : 'absent'} -> ${headTable ? shortId(headTable) : 'absent'})`)
  }
  const none = { files: 0, rows: 0, bytes: 0 }
  return { table: { ...current, schema: change.schema, lastColumnId: change.lastColumnId }, summary: summaryOf('schema', none, none) }
}

function sum(files: Array<{ rows: number; bytes: number }>, key: 'rows' | 'bytes'): number {
  return files.reduce((n, f) => n + f[key], 0)
}

function summaryOf(
  operation: TableChange['operation'], added: { files: number; rows: number; bytes: number }, removed: { files: number; rows: number; bytes: number },
): TableChange {
  return {
    operation,
    addedFiles: added.files, removedFiles: removed.files,
    addedRows: added.rows, removedRows: removed.rows,
    addedBytes: added.bytes, removedBytes: removed.bytes,
  }
}

/** Combines two summaries of the same table within one commit. */
export function combineSummaries(a: TableChange | undefined, b: TableChange): TableChange {
  if (!a) return b
  return {
    operation: a.operation === 'create' ? 'create' : b.operation === 'overwrite' ? 'overwrite' : a.operation,
    addedFiles: a.addedFiles + b.addedFiles, removedFiles: a.removedFiles + b.removedFiles,
    addedRows: a.addedRows + b.addedRows, removedRows: a.removedRows + b.removedRows,
    addedBytes: a.addedBytes + b.addedBytes, removedBytes: a.removedBytes + b.removedBytes,
  }
}
