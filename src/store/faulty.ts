/**
 * Fault injection for tests of the layers above the store: a Storage wrapper
 * that fails chosen calls the way real backends fail. Call indexes are 1-based
 * and counted per kind (the 2nd compareAndSwap, the 3rd put...).
 */
import { forwardObjectGc, forwardRefGc, forwardReflogGc } from './forward-gc.js'
import { DvError } from '../errors.js'
import type { ObjectId } from '../ids.js'
import { sleep } from './fs-durable.js'
import { getTestHooks, type StorageTestHooks } from './test-hooks.js'
import type { ObjectStore, ReflogStore, RefStore, Storage } from './types.js'

export { wrapCounting, type CountingStorage, type StorageCounts } from './counting.js'

export interface FaultPlan {
  /** compareAndSwap calls that fail with CONFLICT without applying. */
  conflictOnCas?: number[]
  /** compareAndSwap calls that apply, then throw OUTCOME_UNKNOWN (a lost response). */
  lostResponseOnCas?: number[]
  /** compareAndSwap calls that fail with STORAGE without applying. */
  failCas?: number[]
  /** put/putFile calls that fail with STORAGE without storing anything. */
  failPut?: number[]
  /** put/putFile calls that store only the first half of the bytes under the real id, and report success. */
  tornPut?: number[]
  /** reflog append calls that fail with STORAGE without appending. */
  failReflogAppend?: number[]
  /** get calls that fail with STORAGE. */
  failGet?: number[]
  /** Delay before every call, in milliseconds. */
  latencyMs?: number
}

export interface FaultyStorage extends Storage, StorageTestHooks {
  /** The faults injected so far, e.g. 'cas#2 lost-response branches/main'. */
  readonly injected: string[]
}

export function wrapFaulty(storage: Storage, plan: FaultPlan): FaultyStorage {
  const calls = { cas: 0, put: 0, get: 0, reflog: 0 }
  const injected: string[] = []
  const delay = async (): Promise<void> => {
    if (plan.latencyMs) await sleep(plan.latencyMs)
  }
  const inner = storage.objects

  async function tear(id: ObjectId, n: number): Promise<void> {
    const hooks = requireHooks(storage)
    const bytes = await inner.get(id)
    await hooks.writeRawForTest(id, bytes.subarray(0, Math.floor(bytes.length / 2)))
    injected.push(`put#${n} torn ${id}`)
  }

  function failIfPlanned(list: number[] | undefined, n: number, what: string): void {
    if (list?.includes(n)) {
      injected.push(`${what}#${n} fail`)
      throw new DvError('STORAGE', `injected ${what} failure (call ${n})`, { details: { injected: true } })
    }
  }

  const objects: ObjectStore = {
    async put(bytes) {
      await delay()
      const n = ++calls.put
      failIfPlanned(plan.failPut, n, 'put')
      const id = await inner.put(bytes)
      if (plan.tornPut?.includes(n)) await tear(id, n)
      return id
    },
    async putFile(path, expectedId) {
      await delay()
      const n = ++calls.put
      failIfPlanned(plan.failPut, n, 'put')
      const result = await inner.putFile(path, expectedId)
      if (plan.tornPut?.includes(n)) await tear(result.id, n)
      return result
    },
    async get(id) {
      await delay()
      failIfPlanned(plan.failGet, ++calls.get, 'get')
      return inner.get(id)
    },
    has: async (id) => (await delay(), inner.has(id)),
    size: async (id) => (await delay(), inner.size(id)),
    localPath: async (id) => (await delay(), inner.localPath(id)),
    localRoot: () => inner.localRoot(),
    list: (prefix) => inner.list(prefix),
    delete: async (id) => (await delay(), inner.delete(id)),
    ...forwardObjectGc(inner),
  }

  const refs: RefStore = {
    get: async (name) => (await delay(), storage.refs.get(name)),
    list: async (prefix) => (await delay(), storage.refs.list(prefix)),
    async compareAndSwap(name, expected, next) {
      await delay()
      const n = ++calls.cas
      if (plan.conflictOnCas?.includes(n)) {
        injected.push(`cas#${n} conflict ${name}`)
        throw new DvError('CONFLICT', `ref '${name}' changed (injected conflict, call ${n})`, {
          details: { ref: name, expected, actual: null, injected: true },
        })
      }
      failIfPlanned(plan.failCas, n, 'cas')
      const result = await storage.refs.compareAndSwap(name, expected, next)
      if (plan.lostResponseOnCas?.includes(n)) {
        injected.push(`cas#${n} lost-response ${name}`)
        throw new DvError('OUTCOME_UNKNOWN', `lost response updating ref '${name}' (injected, call ${n})`, {
          hint: 're-read the ref before retrying',
          details: { ref: name, injected: true },
        })
      }
      return result
    },
    ...forwardRefGc(storage.refs),
  }

  const reflog: ReflogStore = {
    async append(ref, timeMs, bytes) {
      await delay()
      failIfPlanned(plan.failReflogAppend, ++calls.reflog, 'reflog-append')
      return storage.reflog.append(ref, timeMs, bytes)
    },
    list: async (ref) => (await delay(), storage.reflog.list(ref)),
    read: async (ref, key) => (await delay(), storage.reflog.read(ref, key)),
    ...forwardReflogGc(storage.reflog),
  }

  return {
    objects,
    refs,
    reflog,
    ...(storage.leases ? { leases: storage.leases } : {}),
    location: storage.location,
    injected,
    readConfig: () => storage.readConfig(),
    createConfig: (bytes) => storage.createConfig(bytes),
    close: () => storage.close(),
    corruptForTest: (id) => requireHooks(storage).corruptForTest(id),
    writeRawForTest: (id, bytes) => requireHooks(storage).writeRawForTest(id, bytes),
  }
}

export function requireHooks(storage: Storage): StorageTestHooks {
  const hooks = getTestHooks(storage)
  if (hooks === undefined) {
    throw new DvError('INTERNAL', `storage ${storage.location} has no test hooks (corruptForTest, writeRawForTest)`)
  }
  return hooks
}
