/** The optional garbage-collection methods of a store, bound, for wrappers (faulty, counting) to pass through. */
import type { ObjectStore, ReflogStore, RefStore } from './types.js'

type GcObjectMethods = Pick<ObjectStore, 'listTimed' | 'storeTime' | 'sweep' | 'recoverSweep' | 'abortStaleUploads' | 'inventory'>

export function forwardObjectGc(inner: ObjectStore): GcObjectMethods {
  return {
    ...(inner.listTimed ? { listTimed: () => inner.listTimed!() } : {}),
    ...(inner.storeTime ? { storeTime: () => inner.storeTime!() } : {}),
    ...(inner.sweep ? { sweep: (ids, cutoffMs) => inner.sweep!(ids, cutoffMs) } : {}),
    ...(inner.recoverSweep ? { recoverSweep: () => inner.recoverSweep!() } : {}),
    ...(inner.inventory ? { inventory: inner.inventory } : {}),
    ...(inner.abortStaleUploads ? { abortStaleUploads: (cutoffMs, dryRun) => inner.abortStaleUploads!(cutoffMs, dryRun) } : {}),
  }
}

export function forwardReflogGc(inner: ReflogStore): Pick<ReflogStore, 'listRefs'> {
  return inner.listRefs ? { listRefs: () => inner.listRefs!() } : {}
}

export function forwardRefGc(inner: RefStore): Pick<RefStore, 'listLocks'> {
  return inner.listLocks ? { listLocks: () => inner.listLocks!() } : {}
}
