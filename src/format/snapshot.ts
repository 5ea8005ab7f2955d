/** Snapshots (commits), format-spec/snapshot.md. A snapshot id is the ObjectId of its bytes. */
import { isDvError } from '../errors.js'
import { asTableName, type ObjectId, type SnapshotId } from '../ids.js'
import { childPath } from './canonical-json.js'
import { decodeChecked, encodeChecked } from './codec.js'
import {
  fail,
  readArray,
  readBoolean,
  readCount,
  readInteger,
  readMap,
  readObject,
  readObjectId,
  readString,
  type JsonObject,
} from './json-fields.js'
import { KINDS, SNAPSHOT_KIND_V2, SNAPSHOT_KIND_V3, type CodeVersion, type Lineage, type LineageInput, type Snapshot, type TableChange } from './types.js'

export const OPERATIONS: readonly TableChange['operation'][] = [
  'create',
  'append',
  'overwrite',
  'delete',
  'replace-partitions',
  'upsert',
  'drop',
  'schema',
  'replace',
]

/**
 * The kind a snapshot is written as (format-spec/snapshot.md#kinds): v3 exactly when it has `lineage`; otherwise
 * v2 exactly when a change is a `replace`; otherwise v1.
 */
function snapshotKind(summary: Record<string, TableChange>, lineage: boolean): string {
  if (lineage) return SNAPSHOT_KIND_V3
  return Object.values(summary).some((c) => c.operation === 'replace') ? SNAPSHOT_KIND_V2 : KINDS.snapshot
}

/** A Git commit id: 40 hex digits (SHA-1), or 64 in a SHA-256 repository. */
const GIT_COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/

function encodeLineage(l: Lineage): JsonObject {
  const json: JsonObject = {}
  if (l.code) {
    const code: JsonObject = { commit: l.code.commit }
    if (l.code.dirty !== undefined) code.dirty = l.code.dirty
    if (l.code.branch !== undefined) code.branch = l.code.branch
    if (l.code.repository !== undefined) code.repository = l.code.repository
    json.code = code
  }
  if (l.inputs) json.inputs = l.inputs.map((i) => ({ table: i.table, name: i.name, bytes: i.bytes, sha256: i.sha256 }))
  if (l.meta) json.meta = l.meta
  return json
}

function decodeLineage(v: unknown, path: string): Lineage {
  const o = readObject(v, path, [], ['code', 'inputs', 'meta'])
  if (Object.keys(o).length === 0) fail(path, 'lineage records at least one of code, inputs and meta (absent when nothing was recorded)')
  const lineage: Lineage = {}
  if (o.code !== undefined) {
    const at = childPath(path, 'code')
    const c = readObject(o.code, at, ['commit'], ['dirty', 'branch', 'repository'])
    const commit = readString(c.commit, `${at}.commit`)
    if (!GIT_COMMIT.test(commit)) fail(`${at}.commit`, 'expected a Git commit id: 40 (or 64) lowercase hex digits')
    const code: CodeVersion = { commit }
    if (c.dirty !== undefined) code.dirty = readBoolean(c.dirty, `${at}.dirty`)
    if (c.branch !== undefined) code.branch = readString(c.branch, `${at}.branch`, { nonEmpty: true })
    if (c.repository !== undefined) code.repository = readString(c.repository, `${at}.repository`, { nonEmpty: true })
    lineage.code = code
  }
  if (o.inputs !== undefined) {
    const at = childPath(path, 'inputs')
    const items = readArray(o.inputs, at)
    if (items.length === 0) fail(at, 'an empty list of inputs is written as no inputs field')
    lineage.inputs = items.map((item, i): LineageInput => {
      const p = `${at}[${i}]`
      const x = readObject(item, p, ['table', 'name', 'bytes', 'sha256'])
      const table = readString(x.table, `${p}.table`)
      checkTableName(table, `${p}.table`)
      return { table, name: readString(x.name, `${p}.name`, { nonEmpty: true }), bytes: readCount(x.bytes, `${p}.bytes`), sha256: readObjectId(x.sha256, `${p}.sha256`) }
    })
  }
  if (o.meta !== undefined) {
    const at = childPath(path, 'meta')
    const meta = readMap(o.meta, at, (value, p, key) => {
      if (key.length === 0) fail(p, 'a meta key must not be empty')
      return readString(value, p)
    })
    if (Object.keys(meta).length === 0) fail(at, 'empty meta is written as no meta field')
    lineage.meta = meta
  }
  return lineage
}

const CHANGE_COUNTS = [
  ['added-files', 'addedFiles'],
  ['removed-files', 'removedFiles'],
  ['added-rows', 'addedRows'],
  ['removed-rows', 'removedRows'],
  ['added-bytes', 'addedBytes'],
  ['removed-bytes', 'removedBytes'],
] as const

function encodeChange(change: TableChange): JsonObject {
  const json: JsonObject = { operation: change.operation }
  for (const [key, field] of CHANGE_COUNTS) json[key] = change[field]
  return json
}

function decodeChange(v: unknown, path: string): TableChange {
  const o = readObject(v, path, ['operation', ...CHANGE_COUNTS.map(([key]) => key)])
  const operation = readString(o.operation, childPath(path, 'operation'))
  if (!(OPERATIONS as readonly string[]).includes(operation)) {
    fail(childPath(path, 'operation'), `unknown operation ${JSON.stringify(operation)} (expected one of ${OPERATIONS.join(', ')})`)
  }
  const change = { operation } as TableChange
  for (const [key, field] of CHANGE_COUNTS) change[field] = readCount(o[key], childPath(path, key))
  return change
}

function encodeSnapshot(s: Snapshot): JsonObject {
  const json: JsonObject = {
    kind: snapshotKind(s.summary, s.lineage !== undefined),
    parents: s.parents,
    'timestamp-ms': s.timestampMs,
    author: s.author,
    message: s.message,
    tables: s.tables,
    summary: Object.fromEntries(Object.entries(s.summary).map(([name, change]) => [name, encodeChange(change)])),
  }
  if (s.idempotencyKey !== undefined) json['idempotency-key'] = s.idempotencyKey
  if (s.fingerprint !== undefined) json.fingerprint = s.fingerprint
  if (s.lineage !== undefined) json.lineage = encodeLineage(s.lineage)
  return json
}

function checkTableName(name: string, path: string): void {
  try {
    asTableName(name)
  } catch (e) {
    if (isDvError(e)) fail(path, `invalid table name ${JSON.stringify(name)}`)
    throw e
  }
}

function decodeSnapshot(json: unknown): Snapshot {
  const o = readObject(
    json,
    '$',
    ['kind', 'parents', 'timestamp-ms', 'author', 'message', 'tables', 'summary'],
    ['idempotency-key', 'fingerprint', 'lineage'],
  )
  const parents = readArray(o.parents, '$.parents').map((p, i) => readObjectId(p, `$.parents[${i}]`) as SnapshotId)
  parents.forEach((p, i) => {
    if (parents.indexOf(p) !== i) fail(`$.parents[${i}]`, `duplicate parent ${p}`)
  })
  const tables = readMap(o.tables, '$.tables', (v, path, name): ObjectId => {
    checkTableName(name, path)
    return readObjectId(v, path)
  })
  const summary = readMap(o.summary, '$.summary', (v, path, name) => {
    checkTableName(name, path)
    const change = decodeChange(v, path)
    const present = Object.hasOwn(tables, name)
    if (change.operation === 'drop' && present) fail(path, `table ${name} is dropped but still listed in $.tables`)
    if (change.operation !== 'drop' && !present) fail(path, `table ${name} changed but is not listed in $.tables`)
    return change
  })
  const kind = snapshotKind(summary, o.lineage !== undefined)
  if (o.kind !== kind) {
    const what = kind === SNAPSHOT_KIND_V3 ? 'with lineage' : `without lineage and ${kind === SNAPSHOT_KIND_V2 ? 'with' : 'without'} a replace change`
    fail('$.kind', `a snapshot ${what} is written as ${kind}, not ${String(o.kind)}`)
  }
  const snapshot: Snapshot = {
    parents,
    timestampMs: readInteger(o['timestamp-ms'], '$.timestamp-ms', 0),
    author: readString(o.author, '$.author'),
    message: readString(o.message, '$.message'),
    tables,
    summary,
  }
  if (o['idempotency-key'] !== undefined) snapshot.idempotencyKey = readString(o['idempotency-key'], '$.idempotency-key', { nonEmpty: true })
  if (o.fingerprint !== undefined) {
    if (snapshot.idempotencyKey === undefined) fail('$.fingerprint', 'a fingerprint requires an idempotency-key')
    snapshot.fingerprint = readObjectId(o.fingerprint, '$.fingerprint')
  }
  if (o.lineage !== undefined) snapshot.lineage = decodeLineage(o.lineage, '$.lineage')
  return snapshot
}

/** Canonical bytes of a snapshot; INVALID_ARGUMENT naming the field if the snapshot breaks a rule of the spec. */
export function serializeSnapshot(snapshot: Snapshot): Uint8Array {
  return encodeChecked('snapshot', encodeSnapshot(snapshot), decodeSnapshot)
}

/** Parses and validates a snapshot; CORRUPT naming `what` and the JSON path, UNSUPPORTED for another kind version. */
export function parseSnapshot(bytes: Uint8Array, what = 'snapshot'): Snapshot {
  return decodeChecked(bytes, [KINDS.snapshot, SNAPSHOT_KIND_V2, SNAPSHOT_KIND_V3], what, decodeSnapshot)
}
