/**
 * A change to one table (a write), and how it applies to the table's
 * metadata at commit time. Applying re-validates the change against the
 * table as it is now (format-spec/commit-protocol.md): appends always
 * rebase; an overwrite conflicts if the table changed since the write read
 * it; new columns conflict if the schema changed meanwhile.
 */
import type { ObjectId } from '../ids.js'
import type { DataFile, Field, ManifestRef, PartitionField, Schema, TableChange, TableMetadata } from '../format/types.js'
import { summarizePartitions } from '../format/index.js'
import { DvError } from '../errors.js'
import { shortId } from '../ids.js'
import { readManifest, writeManifest, type RepoContext } from './context.js'

export type ChangeMode = 'append' | 'overwrite'

export interface PendingChange {
  id: string
  table: string
  mode: ChangeMode
  createdMs: number
  /** True when the write created the table. */
  creates: boolean
  tableId: string
  /** Table metadata id at the branch head the write read (null: the table did not exist there). */
  baseTable: ObjectId | null
  /** last-column-id of the table the write was planned against (head plus earlier staged changes). */
  baseLastColumnId: number
  schema: Schema
  lastColumnId: number
  partitionSpec: PartitionField[]
  files: DataFile[]
  /** SHA-256 of the request (input bytes, table, mode, options). */
  fingerprint: string
}

/** Manifests beyond this count are merged on the next commit, keeping table metadata small. */
export const MAX_MANIFESTS = 64
const MERGE_BELOW_FILES = 1000

function conflict(table: string, why: string): DvError {
  return new DvError('CONFLICT', `table '${table}' ${why}`, {
    hint: 're-run the write against the new head (`dv status`, then `dv write` again)',
    details: { table },
  })
}

function sameField(a: Field, b: Field): boolean {
  return a.id === b.id && a.name === b.name && a.type === b.type
}

/** The schema after this change, checked against the table as it is now. */
function mergeSchema(current: TableMetadata, change: PendingChange): { schema: Schema; lastColumnId: number } {
  const added = change.schema.fields.filter((f) => f.id > change.baseLastColumnId)
  if (added.length === 0) {
    for (const f of change.schema.fields) {
      const now = current.schema.fields.find((c) => c.id === f.id)
      if (!now || !sameField(now, f)) {
        throw conflict(change.table, `changed its schema since the write (column '${f.name}' is now ${now ? `${now.name} ${now.type}` : 'gone'})`)
      }
    }
    return { schema: current.schema, lastColumnId: current.lastColumnId }
  }
  if (current.lastColumnId !== change.baseLastColumnId) {
    throw conflict(change.table, `gained columns concurrently with a write that adds ${added.map((f) => `'${f.name}'`).join(', ')}`)
  }
  for (const f of added) {
    if (current.schema.fields.some((c) => c.name === f.name)) throw conflict(change.table, `already has a column '${f.name}'`)
  }
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
 * Applies `change` to `current` (the table after earlier changes of the same
 * commit; null if absent). `headTable` is the table's metadata id at the
 * head being committed onto, for the overwrite check.
 */
export async function applyChange(
  ctx: RepoContext, current: TableMetadata | null, headTable: ObjectId | null, change: PendingChange,
): Promise<AppliedChange> {
  const added = { files: change.files.length, rows: sum(change.files, 'rows'), bytes: sum(change.files, 'bytes') }
  if (current === null) {
    if (!change.creates && change.baseTable !== null) throw conflict(change.table, 'was dropped since the write')
    const manifests = change.files.length ? [await newManifest(ctx, change.partitionSpec, change.schema, change.files)] : []
    return {
      table: {
        tableId: change.tableId, schema: change.schema, lastColumnId: change.lastColumnId,
        partitionSpec: change.partitionSpec, manifests, properties: {},
      },
      summary: summaryOf('create', added, { files: 0, rows: 0, bytes: 0 }),
    }
  }
  if (current.tableId !== change.tableId) {
    throw conflict(change.table, change.creates ? 'was created concurrently by another commit' : 'was re-created since the write')
  }
  if (change.mode === 'overwrite' && headTable !== change.baseTable) {
    throw conflict(change.table, `changed since the overwrite read it (was ${change.baseTable ? shortId(change.baseTable) : 'absent'}, now ${headTable ? shortId(headTable) : 'absent'})`)
  }
  const { schema, lastColumnId } = mergeSchema(current, change)
  const removed = change.mode === 'overwrite' ? totals(current.manifests) : { files: 0, rows: 0, bytes: 0 }
  let manifests = change.mode === 'overwrite' ? [] : [...current.manifests]
  if (change.files.length) manifests.push(await newManifest(ctx, current.partitionSpec, schema, change.files))
  manifests = await compactManifests(ctx, current.partitionSpec, schema, manifests)
  return {
    table: { ...current, schema, lastColumnId, manifests },
    summary: summaryOf(change.mode, added, removed),
  }
}

function sum(files: DataFile[], key: 'rows' | 'bytes'): number {
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
