/**
 * A workspace's lease (format-spec/gc.md#leases): what the staged changes of
 * a workspace sharing a remote store build on and add, kept in the store
 * under `gc/leases/<16 hex>` while anything is staged, so that a dv gc run
 * elsewhere treats them as live until `ttl-ms` after the lease was last
 * written (on the store's clock). A long-running writer keeps one of the same
 * form for the data files it stored and has not committed
 * (format-spec/gc.md#writers-in-flight).
 */
import { createHash } from 'node:crypto'
import type { ObjectId, SnapshotId } from '../ids.js'
import { decodeChecked, encodeChecked } from './codec.js'
import { fail, readArray, readInteger, readObject, readObjectId, readString, type JsonObject } from './json-fields.js'
import { KINDS } from './types.js'

/** How long a lease dv writes lives after its last write (format-spec/gc.md#leases). */
export const LEASE_TTL_MS = 7 * 86_400_000

/** A lease's key under `gc/leases/`: the first 16 hex digits of the SHA-256 of `text` (format-spec/gc.md#leases). */
export function leaseName(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

export interface Lease {
  /** Who holds it: `<host> <absolute .dv path>` (a workspace), `<host> pid <pid> (a dv write in flight)` (a writer). */
  holder: string
  ttlMs: number
  snapshots: SnapshotId[]
  tables: ObjectId[]
  manifests: ObjectId[]
  /** Data files the staged changes add or remove. */
  objects: ObjectId[]
}

const sortedUnique = <T extends string>(ids: Iterable<T>): T[] => [...new Set(ids)].sort()

function encodeLease(l: Lease): JsonObject {
  return {
    kind: KINDS.lease,
    holder: l.holder,
    'ttl-ms': l.ttlMs,
    snapshots: sortedUnique(l.snapshots),
    tables: sortedUnique(l.tables),
    manifests: sortedUnique(l.manifests),
    objects: sortedUnique(l.objects),
  }
}

function readIds(v: unknown, path: string): ObjectId[] {
  const ids = readArray(v, path).map((x, i) => readObjectId(x, `${path}[${i}]`))
  ids.forEach((id, i) => {
    if (i > 0 && ids[i - 1] >= id) fail(`${path}[${i}]`, 'ids must be sorted, without duplicates')
  })
  return ids
}

function decodeLease(json: unknown): Lease {
  const o = readObject(json, '$', ['kind', 'holder', 'ttl-ms', 'snapshots', 'tables', 'manifests', 'objects'])
  return {
    holder: readString(o.holder, '$.holder', { nonEmpty: true }),
    ttlMs: readInteger(o['ttl-ms'], '$.ttl-ms', 1),
    snapshots: readIds(o.snapshots, '$.snapshots') as string[] as SnapshotId[],
    tables: readIds(o.tables, '$.tables'),
    manifests: readIds(o.manifests, '$.manifests'),
    objects: readIds(o.objects, '$.objects'),
  }
}

/** Canonical bytes of a lease (lists sorted and deduplicated); INVALID_ARGUMENT naming the field if it breaks a rule. */
export function serializeLease(lease: Lease): Uint8Array {
  return encodeChecked('lease', encodeLease(lease), decodeLease)
}

/** Parses a lease; CORRUPT naming `what` and the JSON path, UNSUPPORTED for another kind version. */
export function parseLease(bytes: Uint8Array, what = 'lease'): Lease {
  return decodeChecked(bytes, KINDS.lease, what, decodeLease)
}
