/**
 * A read-through Storage whose writes stay off the store: what a commit would
 * write can be built (table metadata, manifests) and read back without
 * touching the store. `dv diff` previews the staged state this way; a merge
 * builds its virtual base and its dry run this way. Refs and their reflog are
 * read-only through it. Metadata objects stay in memory; data files are
 * refused, unless `filesDir` is given: then they are moved (adoptFile) or
 * copied (putFile) there, named by their id, and read from there (the data
 * engine reads files; dv's scratch directory is readable to it). The caller
 * owns `filesDir` and removes it when done.
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { DvError } from '../errors.js'
import { hashBytes, type ObjectId } from '../ids.js'
import { hashFile } from './object-hash.js'
import { storageError } from './fs-errors.js'
import type { AdoptOptions, ObjectStore, RefStore, ReflogStore, Storage } from './types.js'

function refused(what: string): DvError {
  return new DvError('INTERNAL', `a preview storage cannot ${what}`)
}

export interface OverlayOptions {
  /** A directory of the caller's where data files stored through the overlay are kept; without it they are refused. */
  filesDir?: string
}

export function overlayStorage(inner: Storage, options: OverlayOptions = {}): Storage {
  const written = new Map<string, Uint8Array>()
  const files = new Map<string, { path: string; bytes: number }>()
  const base = inner.objects
  const { filesDir } = options
  /** Keeps the file at `path` (taken over when `move`) in filesDir under its id. */
  const keepFile = async (path: string, move: boolean, expected?: ObjectId, ready?: Promise<unknown>): Promise<{ id: ObjectId; bytes: number }> => {
    if (filesDir === undefined) throw refused('store data files')
    try {
      const { id, bytes } = await hashFile(path)
      if (expected !== undefined && expected !== id) throw new DvError('CORRUPT', `${path} hashes to ${id}, not the expected ${expected}`, { details: { path, id, expected } })
      await ready
      if (!files.has(id)) {
        await mkdir(filesDir, { recursive: true })
        const kept = join(filesDir, id)
        await (move ? rename(path, kept) : copyFile(path, kept))
        files.set(id, { path: kept, bytes })
      }
      return { id, bytes }
    } catch (e) {
      throw e instanceof DvError ? e : storageError(e, 'cannot keep', path)
    } finally {
      if (move) await rm(path, { force: true })
    }
  }
  const objects: ObjectStore = {
    async put(bytes) {
      const id = hashBytes(bytes)
      if (!written.has(id)) written.set(id, Uint8Array.from(bytes))
      return id
    },
    putFile: (path, expected) => keepFile(path, false, expected),
    ...(filesDir === undefined ? {} : { adoptFile: (path: string, adopt?: AdoptOptions) => keepFile(path, true, undefined, adopt?.ready) }),
    get: async (id) => written.get(id) ?? base.get(id),
    has: async (id) => written.has(id) || files.has(id) || base.has(id),
    size: async (id) => written.get(id)?.byteLength ?? files.get(id)?.bytes ?? base.size(id),
    localPath: async (id) => {
      if (written.has(id)) throw refused('give a path to an object it holds in memory')
      return files.get(id)?.path ?? base.localPath(id)
    },
    localRoot: () => base.localRoot(),
    ...(base.pathOf ? { pathOf: (id: ObjectId) => files.get(id)?.path ?? base.pathOf!(id) } : {}),
    async *list(prefix) {
      for (const id of [...written.keys(), ...files.keys()]) if (id.startsWith(prefix ?? '')) yield id as ObjectId
      for await (const id of base.list(prefix)) if (!written.has(id) && !files.has(id)) yield id
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
