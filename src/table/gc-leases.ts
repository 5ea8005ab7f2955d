/**
 * The leases gc honours (format-spec/gc.md#leases): every lease in the store
 * whose time plus `ttl-ms` is after the collection's clock. A lease that
 * cannot be read or parsed fails the collection before anything is deleted.
 */
import { DvError, isDvError } from '../errors.js'
import { parseLease, type Lease } from '../format/index.js'
import type { Storage } from '../store/types.js'

export async function liveLeases(storage: Storage, storeTimeMs: number): Promise<{ live: Lease[]; expired: number }> {
  const live: Lease[] = []
  let expired = 0
  for (const stored of storage.leases ? await storage.leases.list() : []) {
    let lease: Lease
    try {
      lease = parseLease(stored.bytes, `lease gc/leases/${stored.name}`)
    } catch (e) {
      if (!isDvError(e) || e.code !== 'CORRUPT') throw e
      throw new DvError('CORRUPT', `${e.message}; dv gc deleted nothing`, {
        hint: `find the workspace that holds it (the lease's "holder"), check it has nothing staged you need, then remove gc/leases/${stored.name} from the store`,
        details: { lease: stored.name },
      })
    }
    if (stored.modifiedMs + lease.ttlMs > storeTimeMs) live.push(lease)
    else expired++
  }
  return { live, expired }
}
