/** Snapshots (commits), format-spec/snapshot.md. A snapshot id is the ObjectId of its bytes. */
import { isDvError } from '../errors.js'
import { asTableName, type ObjectId, type SnapshotId } from '../ids.js'
import { childPath } from './canonical-json.js'
import { decodeChecked, encodeChecked } from './codec.js'
import {
  fail,
  readArray,
  readCount,
  readInteger,
  readMap,
  readObject,
  readObjectId,
  readString,
  type JsonObject,
} from './json-fields.js'
import { KINDS, SNAPSHOT_KIND_V2, type Snapshot, type TableChange } from './types.js'

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

/** The kind a snapshot is written as: v2 exactly when a change is a `replace` (format-spec/snapshot.md#kinds). */
function snapshotKind(summary: Record<string, TableChange>): string {
  return Object.values(summary).some((c) => c.operation === 'replace') ? SNAPSHOT_KIND_V2 : KINDS.snapshot
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
    kind: snapshotKind(s.summary),
    parents: s.parents,
    'timestamp-ms': s.timestampMs,
    author: s.author,
    message: s.message,
    tables: s.tables,
    summary: Object.fromEntries(Object.entries(s.summary).map(([name, change]) => [name, encodeChange(change)])),
  }
  if (s.idempotencyKey !== undefined) json['idempotency-key'] = s.idempotencyKey
  if (s.fingerprint !== undefined) json.fingerprint = s.fingerprint
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
    ['idempotency-key', 'fingerprint'],
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
  const kind = snapshotKind(summary)
  if (o.kind !== kind) fail('$.kind', `a snapshot ${kind === SNAPSHOT_KIND_V2 ? 'with' : 'without'} a replace change is written as ${kind}, not ${String(o.kind)}`)
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
  return snapshot
}

/** Canonical bytes of a snapshot; INVALID_ARGUMENT naming the field if the snapshot breaks a rule of the spec. */
export function serializeSnapshot(snapshot: Snapshot): Uint8Array {
  return encodeChecked('snapshot', encodeSnapshot(snapshot), decodeSnapshot)
}

/** Parses and validates a snapshot; CORRUPT naming `what` and the JSON path, UNSUPPORTED for another kind version. */
export function parseSnapshot(bytes: Uint8Array, what = 'snapshot'): Snapshot {
  return decodeChecked(bytes, [KINDS.snapshot, SNAPSHOT_KIND_V2], what, decodeSnapshot)
}
