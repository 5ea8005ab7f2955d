/**
 * The expiry record (format-spec/retention.md#expiry-record): which
 * snapshots retention has expired, and the policy that expired each. A
 * content-addressed canonical-JSON object, one per `dv expire` that expired
 * something, naming the version it replaced; the store's ref `expiry` names
 * the current one and moves by a logged compare-and-swap, like `settings`.
 * Each version lists every snapshot expired so far, so a reader reads one
 * object, never the chain.
 */
import type { ObjectId } from '../ids.js'
import { refNameProblem } from '../ids.js'
import { decodeChecked, encodeChecked } from './codec.js'
import { fail, readInteger, readMap, readObject, readObjectId, readString, type JsonObject } from './json-fields.js'
import { KINDS, type ExpiredSnapshot, type ExpiryRecord } from './types.js'

/** The ref (store name) naming the current expiry record. */
export const EXPIRY_REF = 'expiry'

function encodeExpiry(r: ExpiryRecord): JsonObject {
  return {
    kind: KINDS.expiry,
    parent: r.parent,
    'time-ms': r.timeMs,
    author: r.author,
    message: r.message,
    expired: Object.fromEntries(Object.entries(r.expired).map(([id, e]) => [id, {
      branch: e.branch,
      'keep-days': e.keepDays,
      'keep-last': e.keepLast,
      'time-ms': e.timeMs,
    }])),
  }
}

function readLimit(v: unknown, path: string): number | null {
  return v === null ? null : readInteger(v, path, 1)
}

function readExpired(v: unknown, path: string, id: string): ExpiredSnapshot {
  readObjectId(id, path)
  const o = readObject(v, path, ['branch', 'keep-days', 'keep-last', 'time-ms'])
  let branch: string | null = null
  if (o.branch !== null) {
    branch = readString(o.branch, `${path}.branch`)
    const problem = refNameProblem(branch)
    if (problem !== undefined) fail(`${path}.branch`, `invalid branch name ${JSON.stringify(branch)}: ${problem}`)
  }
  const e = { branch, keepDays: readLimit(o['keep-days'], `${path}.keep-days`), keepLast: readLimit(o['keep-last'], `${path}.keep-last`), timeMs: readInteger(o['time-ms'], `${path}.time-ms`, 0) }
  if (e.keepDays === null && e.keepLast === null) fail(path, 'keep-days and keep-last cannot both be null')
  return e
}

function decodeExpiry(json: unknown): ExpiryRecord {
  const o = readObject(json, '$', ['kind', 'parent', 'time-ms', 'author', 'message', 'expired'])
  const record = {
    parent: o.parent === null ? null : (readObjectId(o.parent, '$.parent') as ObjectId),
    timeMs: readInteger(o['time-ms'], '$.time-ms', 0),
    author: readString(o.author, '$.author', { nonEmpty: true }),
    message: readString(o.message, '$.message', { nonEmpty: true }),
    expired: readMap(o.expired, '$.expired', readExpired),
  }
  for (const [id, e] of Object.entries(record.expired)) {
    if (e.timeMs > record.timeMs) fail(`$.expired.${id}.time-ms`, `${e.timeMs} is after the record's time-ms ${record.timeMs}`)
  }
  return record
}

/** Canonical bytes of an expiry record; INVALID_ARGUMENT naming the field if it breaks a rule of the spec. */
export function serializeExpiry(record: ExpiryRecord): Uint8Array {
  return encodeChecked('expiry record', encodeExpiry(record), decodeExpiry)
}

/** Parses an expiry record; CORRUPT naming `what` and the JSON path, UNSUPPORTED for another kind version. */
export function parseExpiry(bytes: Uint8Array, what = 'expiry record'): ExpiryRecord {
  return decodeChecked(bytes, KINDS.expiry, what, decodeExpiry)
}
