/**
 * Reflog entries (format-spec/reflog.md): one canonical-JSON record per ref
 * update, written once under a key of its own and never changed. Not
 * content-addressed: the store names an entry by time and a random suffix.
 */
import { refNameProblem, type SnapshotId } from '../ids.js'
import { decodeChecked, encodeChecked } from './codec.js'
import { fail, readInteger, readObject, readObjectId, readString, type JsonObject } from './json-fields.js'
import { KINDS, type ReflogEntry } from './types.js'
import { SETTINGS_REF } from './settings.js'
import { EXPIRY_REF } from './expiry.js'

/** The namespaces a reflog may belong to (format-spec/refs.md). */
const NAMESPACES = ['branches/', 'tags/']

function encodeReflogEntry(e: ReflogEntry): JsonObject {
  return {
    kind: KINDS.reflog,
    ref: e.ref,
    old: e.old,
    new: e.new,
    'time-ms': e.timeMs,
    user: e.user,
    host: e.host,
    message: e.message,
  }
}

function readSnapshotOrNull(v: unknown, path: string): SnapshotId | null {
  return v === null ? null : (readObjectId(v, path) as SnapshotId)
}

function decodeReflogEntry(json: unknown): ReflogEntry {
  const o = readObject(json, '$', ['kind', 'ref', 'old', 'new', 'time-ms', 'user', 'host', 'message'])
  const ref = readString(o.ref, '$.ref')
  const ns = NAMESPACES.find((n) => ref.startsWith(n))
  const problem = ref === SETTINGS_REF || ref === EXPIRY_REF ? undefined : ns === undefined ? `it is not in branches/ or tags/, nor '${SETTINGS_REF}' or '${EXPIRY_REF}'` : refNameProblem(ref.slice(ns.length))
  if (problem !== undefined) fail('$.ref', `invalid ref ${JSON.stringify(ref)}: ${problem}`)
  const entry: ReflogEntry = {
    ref,
    old: readSnapshotOrNull(o.old, '$.old'),
    new: readSnapshotOrNull(o.new, '$.new'),
    timeMs: readInteger(o['time-ms'], '$.time-ms', 0),
    user: readString(o.user, '$.user'),
    host: readString(o.host, '$.host'),
    message: readString(o.message, '$.message', { nonEmpty: true }),
  }
  if (entry.old === null && entry.new === null) fail('$.new', 'old and new cannot both be null')
  return entry
}

/** Canonical bytes of a reflog entry; INVALID_ARGUMENT naming the field if it breaks a rule of the spec. */
export function serializeReflogEntry(entry: ReflogEntry): Uint8Array {
  return encodeChecked('reflog entry', encodeReflogEntry(entry), decodeReflogEntry)
}

/** Parses and validates a reflog entry; CORRUPT naming `what` and the JSON path, UNSUPPORTED for another kind version. */
export function parseReflogEntry(bytes: Uint8Array, what = 'reflog entry'): ReflogEntry {
  return decodeChecked(bytes, KINDS.reflog, what, decodeReflogEntry)
}
