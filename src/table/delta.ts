/**
 * What changed in a table between two versions of it: the change
 * computation under `dv diff`, and the one a three-way merge, revert and
 * cherry-pick call (base -> ours, base -> theirs). Metadata only: data files
 * are never opened here (row-level changes are row-delta.ts, over the files
 * this module finds).
 *
 * Cost follows the change, not the table: content addressing makes equal ids
 * equal content, so a table whose metadata id is the same on both sides is
 * skipped without a read, and a manifest listed on both sides (same id) is
 * never read, because its files are on both sides and cancel. Only the
 * manifests of one side are read, and the files in them are compared by
 * object id as multisets (a file appended twice counts twice).
 *
 * API (all of it pure over metadata, plus manifest reads through ctx):
 * - snapshotDelta(ctx, before.tables, after.tables, only?): one TableDelta per
 *   table whose metadata differs;
 * - tableDelta(ctx, name, before, after): the same for one table;
 * - the TableDelta itself: status (created, dropped, replaced, modified),
 *   both metadata objects, files added and removed (each with its manifest),
 *   and schema changes by field id (format/schema-diff.ts).
 */
import type { ObjectId } from '../ids.js'
import type { ManifestRef, TableMetadata } from '../format/types.js'
import { schemaDiff, type SchemaChange } from '../format/schema-diff.js'
import { readManifest, readTableMetadata, type RepoContext } from './context.js'
import { mapLimit } from '../store/map-limit.js'
import type { PlannedFile } from './scan-plan.js'

/**
 * - created: absent before, present after; dropped: the reverse;
 * - replaced: present on both sides with different table ids (dropped and
 *   created again under the same name): every file of the old table is
 *   removed and every file of the new one added, and there is no schema
 *   change by field id (ids of two tables are unrelated);
 * - modified: the same table (same table id) with different metadata.
 */
export type TableStatus = 'created' | 'dropped' | 'replaced' | 'modified'

export interface TableDelta {
  table: string
  status: TableStatus
  /** The table's metadata on each side (null: absent there). */
  before: TableMetadata | null
  after: TableMetadata | null
  /** Data files of `after` that `before` lacks (by object id, as a multiset), in manifest order. */
  added: PlannedFile[]
  /** Data files of `before` that `after` lacks. */
  removed: PlannedFile[]
  /** Schema changes by field id at every depth; [] unless modified. */
  schema: SchemaChange[]
  /** How many manifests were read (those not listed on both sides). */
  manifestsRead: number
}

/** Table name -> table metadata id, as a snapshot lists them. */
export type TableMap = Readonly<Record<string, ObjectId>>

const READ_CONCURRENCY = 8

/**
 * The tables whose metadata differs between two snapshots' table maps (only
 * the names in `only` when given), in name order. Unchanged tables cost
 * nothing: their metadata is not even read.
 */
export async function snapshotDelta(ctx: RepoContext, before: TableMap, after: TableMap, only?: readonly string[]): Promise<TableDelta[]> {
  const names = only ? [...new Set(only)] : [...new Set([...Object.keys(before), ...Object.keys(after)])]
  const changed = names.filter((n) => before[n] !== after[n]).sort()
  return mapLimit(changed, READ_CONCURRENCY, async (name) => {
    const [b, a] = await Promise.all([metadataOf(ctx, before[name]), metadataOf(ctx, after[name])])
    return tableDelta(ctx, name, b, a)
  })
}

function metadataOf(ctx: RepoContext, id: ObjectId | undefined): Promise<TableMetadata | null> {
  return id === undefined ? Promise.resolve(null) : readTableMetadata(ctx, id)
}

export function tableStatus(before: TableMetadata | null, after: TableMetadata | null): TableStatus {
  if (before === null) return 'created'
  if (after === null) return 'dropped'
  return before.tableId === after.tableId ? 'modified' : 'replaced'
}

/** The delta of one table; `before` and `after` must not both be null. */
export async function tableDelta(ctx: RepoContext, table: string, before: TableMetadata | null, after: TableMetadata | null): Promise<TableDelta> {
  const status = tableStatus(before, after)
  // a replaced table shares nothing with the old one: no manifest or file cancels
  const [onlyBefore, onlyAfter] = status === 'modified'
    ? manifestDifference(before!.manifests, after!.manifests)
    : [before?.manifests ?? [], after?.manifests ?? []]
  const [removedAll, addedAll] = await Promise.all([filesOf(ctx, onlyBefore), filesOf(ctx, onlyAfter)])
  const [removed, added] = status === 'modified' ? fileDifference(removedAll, addedAll) : [removedAll, addedAll]
  return {
    table, status, before, after, added, removed,
    schema: status === 'modified' ? schemaDiff(before!.schema, after!.schema) : [],
    manifestsRead: onlyBefore.length + onlyAfter.length,
  }
}

/** Each side's manifest occurrences minus those on the other side (same id: same files, which cancel). */
function manifestDifference(before: readonly ManifestRef[], after: readonly ManifestRef[]): [ManifestRef[], ManifestRef[]] {
  return multisetDifference(before, after, (m) => m.id)
}

/** Every file listed in `manifests`, in order (a manifest listed twice lists its files twice). */
async function filesOf(ctx: RepoContext, manifests: readonly ManifestRef[]): Promise<PlannedFile[]> {
  const read = await mapLimit(manifests, READ_CONCURRENCY, async (m) => (await readManifest(ctx, m.id)).files.map((file) => ({ file, manifest: m.id })))
  return read.flat()
}

/** Removes from each list the file occurrences the other list also has (by object id, as multisets). */
function fileDifference(before: PlannedFile[], after: PlannedFile[]): [PlannedFile[], PlannedFile[]] {
  return multisetDifference(before, after, (f) => f.file.id)
}

/** [a minus b, b minus a] as multisets of `key`, each keeping its order (the first occurrences pair up). */
export function multisetDifference<T>(a: readonly T[], b: readonly T[], key: (item: T) => string): [T[], T[]] {
  const unmatchedB = new Map<string, number>()
  for (const x of b) unmatchedB.set(key(x), (unmatchedB.get(key(x)) ?? 0) + 1)
  const matched = new Map<string, number>()
  const onlyA = a.filter((x) => {
    const k = key(x)
    const n = unmatchedB.get(k) ?? 0
    if (n === 0) return true
    unmatchedB.set(k, n - 1)
    matched.set(k, (matched.get(k) ?? 0) + 1)
    return false
  })
  const onlyB = b.filter((x) => {
    const k = key(x)
    const n = matched.get(k) ?? 0
    if (n === 0) return true
    matched.set(k, n - 1)
    return false
  })
  return [onlyA, onlyB]
}
