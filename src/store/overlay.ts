/**
 * A read-through Storage whose writes stay in memory: what a commit would
 * write can be built (table metadata, manifests) and read back without
 * touching the store. `dv diff` previews the staged state this way. Refs
 * and their reflog are read-only through it, and it holds no data files (putFile is refused).
 */
import { DvError } from '../errors.js'
import { hashBytes, type ObjectId } from '../ids.js'
import type { ObjectStore, RefStore, ReflogStore, Storage } from './types.js'

function refused(what: string): DvError {
  return new DvError('INTERNAL', `a preview storage cannot ${what}`)
}

export function overlayStorage(inner: Storage): Storage {
  const written = new Map<string, Uint8Array>()
  const base = inner.objects
  const objects: ObjectStore = {
    async put(bytes) {
      const id = hashBytes(bytes)
      if (!written.has(id)) written.set(id, Uint8Array.from(bytes))
      return id
    },
    putFile: () => Promise.reject(refused('store data files')),
    get: async (id) => written.get(id) ?? base.get(id),
    has: async (id) => written.has(id) || base.has(id),
    size: async (id) => written.get(id)?.byteLength ?? base.size(id),
    localPath: (id) => (written.has(id) ? Promise.reject(refused('give a path to an object it holds in memory')) : base.localPath(id)),
    localRoot: () => base.localRoot(),
    ...(base.pathOf ? { pathOf: (id: ObjectId) => base.pathOf!(id) } : {}),
    async *list(prefix) {
      for (const id of written.keys()) if (id.startsWith(prefix ?? '')) yield id as ObjectId
      for await (const id of base.list(prefix)) if (!written.has(id)) yield id
    },
    delete: () => Promise.reject(refused('delete objects')),
  }
  const refs: RefStore = {
    get: (name) => inner.refs.get(name),
    list: (prefix) => inner.refs.list(prefix),
    compareAndSwap: () => Promise.reject(refused('update refs')),
  }
  const reflog: ReflogStore = {
    append: () => Promise.reject(refused('log ref updates')),
    list: (ref) => inner.reflog.list(ref),
    read: (ref, key) => inner.reflog.read(ref, key),
  }
  return {
    objects,
    refs,
    reflog,
    location: inner.location,
    readConfig: () => inner.readConfig(),
    createConfig: () => Promise.reject(refused('create a repository')),
    // the inner storage belongs to whoever opened it
    close: async () => undefined,
  }
}
