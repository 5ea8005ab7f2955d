/** A Storage wrapper that counts calls, for I/O-budget tests ("opening a snapshot costs O(1) reads"). */
import { forwardObjectGc, forwardRefGc, forwardReflogGc } from './forward-gc.js'
import type { ObjectStore, ReflogStore, RefStore, Storage } from './types.js'
import { getTestHooks, type StorageTestHooks } from './test-hooks.js'
import { DvError } from '../errors.js'

export interface StorageCounts {
  get: number
  put: number
  putFile: number
  has: number
  size: number
  localPath: number
  list: number
  delete: number
  refGet: number
  refList: number
  cas: number
  reflogAppend: number
  reflogList: number
  reflogRead: number
}

export interface CountingStorage extends Storage, StorageTestHooks {
  /** Live counters since creation or the last reset. */
  readonly counts: StorageCounts
  /** Object id -> how many times its bytes were read (get or localPath) since creation or the last reset. */
  readonly reads: Map<string, number>
  resetCounts(): void
}

function zeroCounts(): StorageCounts {
  return { get: 0, put: 0, putFile: 0, has: 0, size: 0, localPath: 0, list: 0, delete: 0, refGet: 0, refList: 0, cas: 0, reflogAppend: 0, reflogList: 0, reflogRead: 0 }
}

export function wrapCounting(storage: Storage): CountingStorage {
  const counts = zeroCounts()
  const reads = new Map<string, number>()
  const read = (id: string): void => void reads.set(id, (reads.get(id) ?? 0) + 1)
  const inner = storage.objects
  const objects: ObjectStore = {
    put: (bytes) => (counts.put++, inner.put(bytes)),
    putFile: (path, expectedId) => (counts.putFile++, inner.putFile(path, expectedId)),
    get: (id) => (counts.get++, read(id), inner.get(id)),
    has: (id) => (counts.has++, inner.has(id)),
    size: (id) => (counts.size++, inner.size(id)),
    localPath: (id) => (counts.localPath++, read(id), inner.localPath(id)),
    localRoot: () => inner.localRoot(),
    list: (prefix) => (counts.list++, inner.list(prefix)),
    delete: (id) => (counts.delete++, inner.delete(id)),
    ...forwardObjectGc(inner),
  }
  const refs: RefStore = {
    get: (name) => (counts.refGet++, storage.refs.get(name)),
    list: (prefix) => (counts.refList++, storage.refs.list(prefix)),
    compareAndSwap: (name, expected, next) => (counts.cas++, storage.refs.compareAndSwap(name, expected, next)),
    ...forwardRefGc(storage.refs),
  }
  const reflog: ReflogStore = {
    append: (ref, timeMs, bytes) => (counts.reflogAppend++, storage.reflog.append(ref, timeMs, bytes)),
    list: (ref) => (counts.reflogList++, storage.reflog.list(ref)),
    read: (ref, key) => (counts.reflogRead++, storage.reflog.read(ref, key)),
    ...forwardReflogGc(storage.reflog),
  }
  const hooks = (): StorageTestHooks => {
    const h = getTestHooks(storage)
    if (h === undefined) throw new DvError('INTERNAL', `storage ${storage.location} has no test hooks`)
    return h
  }
  return {
    objects,
    refs,
    reflog,
    ...(storage.leases ? { leases: storage.leases } : {}),
    location: storage.location,
    counts,
    reads,
    resetCounts: () => {
      Object.assign(counts, zeroCounts())
      reads.clear()
    },
    readConfig: () => storage.readConfig(),
    createConfig: (bytes) => storage.createConfig(bytes),
    close: () => storage.close(),
    corruptForTest: (id) => hooks().corruptForTest(id),
    writeRawForTest: (id, bytes) => hooks().writeRawForTest(id, bytes),
  }
}
