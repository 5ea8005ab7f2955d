/**
 * Conflict checks for a change re-applied on a head that moved since the
 * write read its table (format-spec/conflicts.md). A change conflicts only
 * when a concurrent commit touched what it read. Every rule is named here with
 * a help line, as delta-rs's conflict_checker.rs does: CHECKS runs them in
 * order before changes.ts applies the change, and the one rule found while
 * applying (a removed file that is gone) is raised there by name.
 */
import type { ObjectId, SnapshotId } from '../ids.js'
import type { DataFile, Field, Schema, TableMetadata, Type } from '../format/types.js'
import { DvError } from '../errors.js'
import { allFields, formatType, isPrimitive, sameType } from '../format/index.js'
import { shortId } from '../ids.js'
import { readManifest, readTableMetadata, type RepoContext } from './context.js'
import type { PendingChange } from './changes.js'
import { checksFor, dataFileMayMatch, filesInPartitions, partitionKey } from './scan-plan.js'

/** A rule of the conflict matrix: its name (in the error's details) and what the user can do (the hint). */
export interface ConflictRule {
  readonly name: string
  readonly help: string
}

export const CONFLICT_RULES = {
  tableDropped: {
    name: 'table-dropped',
    help: 'nothing was applied; the table is gone at the new head: check `dv log`, then write it again if it should exist',
  },
  tableReplaced: {
    name: 'table-replaced',
    help: 'nothing was applied; another table of that name exists at the new head: check `dv log`, then re-run the write against it',
  },
  tableChanged: {
    name: 'table-changed',
    help: 'nothing was applied; a full overwrite conflicts with any concurrent change to its table: re-run it against the new head',
  },
  partitionsChanged: {
    name: 'partitions-changed',
    help: 'nothing was applied; re-run the write: it replaces the partitions as they are at the new head',
  },
  matchingFileAdded: {
    name: 'matching-file-added',
    help: 'nothing was applied; re-run the write: it then also covers the rows added concurrently',
  },
  fileRemoved: {
    name: 'file-removed',
    help: 'nothing was applied; re-run the write against the new head',
  },
  schemaChanged: {
    name: 'schema-changed',
    help: "nothing was applied; re-run the write: it is then checked against the table's new schema",
  },
  keyChanged: {
    name: 'key-changed',
    help: "nothing was applied; re-run the write: it is then checked against the table's new primary key",
  },
  keyMayRepeat: {
    name: 'key-may-repeat',
    help: 'nothing was applied; re-run the write: its keys are then checked against the rows added concurrently',
  },
} as const satisfies Record<string, ConflictRule>

/** What a conflict message names: the operation, its table, and the snapshot it read. */
export type ConflictSubject = Pick<PendingChange, 'mode' | 'table' | 'baseSnapshot' | 'alter'> | { mode: string; table: string; baseSnapshot: SnapshotId; alter?: undefined }

export function conflictError(change: ConflictSubject, head: SnapshotId, rule: ConflictRule, why: string): DvError {
  return new DvError('CONFLICT',
    `${change.alter ? 'schema change' : 'compact' in change && change.compact ? 'compaction' : change.mode} of table '${change.table}' (read at snapshot ${shortId(change.baseSnapshot)}) conflicts with snapshot ${shortId(head)}: ${why}`, {
      retryable: false,
      hint: rule.help,
      details: { table: change.table, base: change.baseSnapshot, head, rule: rule.name },
    })
}

/** What a check sees: the table as it is now (null: absent), its metadata id at the head, and the change. */
export interface CheckInput {
  ctx: RepoContext
  current: TableMetadata | null
  headTable: ObjectId | null
  head: SnapshotId
  change: PendingChange
}

/** Returns why the change conflicts, or undefined. */
type Check = (input: CheckInput) => Promise<string | undefined> | string | undefined

/** The table the change read was dropped (or no longer holds the files it removes). */
function tableDropped({ current, change }: CheckInput): string | undefined {
  if (current !== null) return undefined
  if (!change.creates && change.baseTable !== null) return 'the table was dropped concurrently'
  if (change.removes.length) return 'the table no longer exists'
  return undefined
}

/** The table has another identity than the one the change read (or meant to create). */
function tableReplaced({ current, change }: CheckInput): string | undefined {
  if (current === null || current.tableId === change.tableId) return undefined
  return change.creates ? 'another commit created a table of that name' : 'the table was re-created'
}

/** Whether the table changed at all since the change read it: if not, no scope check can fire. */
function moved({ current, headTable, change }: CheckInput): boolean {
  return current !== null && headTable !== change.baseTable
}

/** A full overwrite read the whole table. */
function tableChanged(input: CheckInput): string | undefined {
  const { headTable, change } = input
  if (!moved(input) || change.scope.kind !== 'table') return undefined
  return `the table changed (metadata ${change.baseTable ? shortId(change.baseTable) : 'absent'} -> ${headTable ? shortId(headTable) : 'absent'})`
}

/** replace-partitions read its partitions: they must hold exactly the files it replaces. */
async function partitionsChanged(input: CheckInput): Promise<string | undefined> {
  const { ctx, current, change } = input
  if (!moved(input) || change.scope.kind !== 'partitions') return undefined
  const now = await filesInPartitions(ctx, current!, change.scope.partitions)
  const nowIds = countIds(now.map((f) => f.file.id))
  const then = countIds(change.removes.map((r) => r.id))
  const same = nowIds.size === then.size && [...then].every(([id, n]) => nowIds.get(id) === n)
  if (same) return undefined
  const touched = [...new Set(now.filter((f) => !then.has(f.file.id)).map((f) => partitionKey(f.file.partition)))]
  return `a concurrent commit changed the replaced partitions${touched.length ? ` (${touched.slice(0, 3).join(', ')})` : ''}`
}

/**
 * Row-level writes read the rows matching their predicates: no concurrently
 * added file may hold such rows. (A file they remove that is gone is found
 * when the removal is applied: fileRemoved.)
 */
async function matchingFileAdded(input: CheckInput): Promise<string | undefined> {
  const { ctx, current, change } = input
  if (!moved(input) || change.scope.kind !== 'rows') return undefined
  const base = change.baseTable ? await readTableMetadata(ctx, change.baseTable) : null
  const checks = checksFor(current!, change.scope.predicates)
  for (const f of await filesAddedSince(ctx, base, current!)) {
    if (dataFileMayMatch(f, checks)) return `a concurrent commit added data file ${shortId(f.id)} that may hold matching rows`
  }
  return undefined
}

function sameField(a: Field, b: Field): boolean {
  return a.id === b.id && a.name === b.name && sameType(a.type, b.type)
}

/** The change's columns must still be the table's; columns it adds need a schema nobody else changed. */
function schemaChanged({ current, change }: CheckInput): string | undefined {
  // a compaction's files carry field ids: they read under any later schema as the files they replace did
  if (current === null || change.compact) return undefined
  const added = change.schema.fields.filter((f) => f.id > change.baseLastColumnId)
  if (addsNestedFields(change)) {
    // fields added inside existing columns: the write was planned against exactly the table's schema now
    return sameSchema(withoutIdsAbove(change.schema, change.baseLastColumnId), current.schema) && current.lastColumnId === change.baseLastColumnId
      ? undefined
      : 'a concurrent schema change, while this write adds fields inside existing columns'
  }
  if (added.length === 0) {
    for (const f of change.schema.fields) {
      const now = current.schema.fields.find((c) => c.id === f.id)
      if (!now || !sameField(now, f)) return `the table's schema changed (column '${f.name}' is now ${now ? `${now.name} ${formatType(now.type)}` : 'gone'})`
    }
    return undefined
  }
  if (current.lastColumnId !== change.baseLastColumnId) {
    return `a concurrent schema change, while this write adds ${added.map((f) => `'${f.name}'`).join(', ')}`
  }
  const taken = added.find((f) => current.schema.fields.some((c) => c.name === f.name))
  return taken ? `the table already has a column '${taken.name}'` : undefined
}

/** A write planned against one primary key (or none) cannot land on a table whose key changed meanwhile. */
function keyChanged({ current, change }: CheckInput): string | undefined {
  // a compaction adds no key: the rows it writes are the table's already
  if (current === null || change.compact) return undefined
  const then = change.baseKey ?? []
  const now = current.identifierFieldIds ?? []
  if (then.join(',') === now.join(',')) return undefined
  const names = (ids: number[]) => (ids.length ? ids.map((id) => current.schema.fields.find((f) => f.id === id)?.name ?? `#${id}`).join(', ') : 'none')
  return `the table's primary key changed (from ${names(then)} to ${names(now)})`
}

/** The keys an append to a keyed table adds were checked at the base: no concurrently added file may hold keys in their range. */
async function keyMayRepeat(input: CheckInput): Promise<string | undefined> {
  const { ctx, current, change } = input
  if (!moved(input) || !change.keyScope?.length) return undefined
  const base = change.baseTable ? await readTableMetadata(ctx, change.baseTable) : null
  const checks = checksFor(current!, change.keyScope)
  for (const f of await filesAddedSince(ctx, base, current!)) {
    if (dataFileMayMatch(f, checks)) return `a concurrent commit added data file ${shortId(f.id)} that may hold keys this write adds`
  }
  return undefined
}

/** True when the change adds fields inside columns the table already had (nested schema evolution on append). */
export function addsNestedFields(change: PendingChange): boolean {
  const base = change.baseLastColumnId
  return allFields({ fields: change.schema.fields.filter((f) => f.id <= base) }).some((f) => f.id > base)
}

/** `schema` without the struct fields whose id is above `last` (those a change added). */
export function withoutIdsAbove(schema: Schema, last: number): Schema {
  const prune = (type: Type): Type => {
    if (isPrimitive(type)) return type
    switch (type.type) {
      case 'struct': return { type: 'struct', fields: type.fields.filter((f) => f.id <= last).map((f) => ({ ...f, type: prune(f.type) })) }
      case 'list': return { ...type, element: prune(type.element) }
      case 'map': return { ...type, key: prune(type.key), value: prune(type.value) }
    }
  }
  return { fields: schema.fields.filter((f) => f.id <= last).map((f) => ({ ...f, type: prune(f.type) })) }
}

function sameSchema(a: Schema, b: Schema): boolean {
  return a.fields.length === b.fields.length && a.fields.every((f, i) => sameField(f, b.fields[i]!) && f.required === b.fields[i]!.required)
}

/** Every check, in the order they run; the first that fires is the conflict reported. */
const CHECKS: ReadonlyArray<readonly [ConflictRule, Check]> = [
  [CONFLICT_RULES.tableDropped, tableDropped],
  [CONFLICT_RULES.tableReplaced, tableReplaced],
  [CONFLICT_RULES.tableChanged, tableChanged],
  [CONFLICT_RULES.partitionsChanged, partitionsChanged],
  [CONFLICT_RULES.matchingFileAdded, matchingFileAdded],
  [CONFLICT_RULES.schemaChanged, schemaChanged],
  [CONFLICT_RULES.keyChanged, keyChanged],
  [CONFLICT_RULES.keyMayRepeat, keyMayRepeat],
]

/** Throws CONFLICT (not retryable) if the change cannot be applied on the table as it is at `head`. */
export async function checkConflicts(input: CheckInput): Promise<void> {
  for (const [rule, check] of CHECKS) {
    const why = await check(input)
    if (why !== undefined) throw conflictError(input.change, input.head, rule, why)
  }
}

function countIds(ids: string[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1)
  return m
}

/**
 * Data files in `current` that were not in `base`: the files of manifests
 * that `current` gained, minus (by occurrence) the files of manifests it
 * lost (a rewritten manifest keeps most of its files). Only the manifests
 * that differ are read.
 */
async function filesAddedSince(ctx: RepoContext, base: TableMetadata | null, current: TableMetadata): Promise<DataFile[]> {
  const baseManifests = countIds(base ? base.manifests.map((m) => m.id) : [])
  const gained: string[] = []
  for (const m of current.manifests) {
    const n = baseManifests.get(m.id) ?? 0
    if (n > 0) baseManifests.set(m.id, n - 1)
    else gained.push(m.id)
  }
  const lostFiles = new Map<string, number>()
  for (const [id, n] of baseManifests) {
    for (let k = 0; k < n; k++) for (const f of (await readManifest(ctx, id as ObjectId)).files) lostFiles.set(f.id, (lostFiles.get(f.id) ?? 0) + 1)
  }
  const out: DataFile[] = []
  for (const id of gained) {
    for (const f of (await readManifest(ctx, id as ObjectId)).files) {
      const n = lostFiles.get(f.id) ?? 0
      if (n > 0) lostFiles.set(f.id, n - 1)
      else out.push(f)
    }
  }
  return out
}
