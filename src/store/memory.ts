/**
 * In-memory Storage for tests and `memory:` repositories. Same guarantees as
 * the local store: reads re-verify hashes, refs change only by compare-and-swap
 * (atomic because JavaScript runs one callback at a time).
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DvError } from '../errors.js'
import type { ObjectId, SnapshotId } from '../ids.js'
import { hashBytes } from '../ids.js'
import { storageError } from './fs-errors.js'
import {
  checkIdPrefix, checkObjectId, corruptObjectError, finishHash, missingObjectError, readSourceFile, startHash,
} from './object-hash.js'
import { checkNextSnapshot, checkRefPath, checkRefPrefix, compareNames, refConflictError, refNestingError } from './ref-path.js'
import { checkReflogKey, KEY_ATTEMPTS, missingEntryError, newReflogKey, reflogFolder, refOfFolder } from './reflog-keys.js'
import { MemoryInventory } from './memory-inventory.js'
import { flipByte, type StorageTestHooks } from './test-hooks.js'
import type { ObjectStore, ReflogStore, RefStore, RefValue, Storage } from './types.js'

export interface MemoryStorage extends Storage, StorageTestHooks {}

export interface MemoryStorageOptions {
  /** The store's clock: the time recorded for each object written or refreshed (tests inject one). */
  now?: () => number
}

export function createMemoryStorage(options: MemoryStorageOptions = {}): MemoryStorage {
  const now = options.now ?? Date.now
  const objects = new Map<string, Uint8Array>()
  /** The time recorded for each object: written, or refreshed by a put that found it (format-spec/gc.md). */
  const times = new Map<string, number>()
  const refs = new Map<string, SnapshotId>()
  const reflogs = new Map<string, Map<string, Uint8Array>>()
  let config: Uint8Array | undefined
  let tempDir: Promise<string> | undefined
  const localPaths = new Map<string, Promise<string>>()
  const inventory = new MemoryInventory((id) => {
    const bytes = objects.get(id)
    return bytes === undefined ? undefined : { id, bytes: bytes.length, modifiedMs: times.get(id) ?? 0 }
  })

  function verified(id: ObjectId): Uint8Array {
    checkObjectId(id)
    const bytes = objects.get(id)
    if (bytes === undefined) throw missingObjectError(id)
    const actual = hashBytes(bytes)
    if (actual !== id) throw corruptObjectError(id, actual)
    return bytes
  }

  function store(id: ObjectId, bytes: Uint8Array): void {
    times.set(id, now())
    inventory.record(id, bytes.length)
    const existing = objects.get(id)
    if (existing !== undefined && hashBytes(existing) === id) return
    objects.set(id, Uint8Array.from(bytes))
    localPaths.delete(id)
  }

  function localDir(): Promise<string> {
    tempDir ??= mkdtemp(join(tmpdir(), 'dv-mem-'))
    return tempDir
  }

  async function copyToTemp(id: ObjectId, bytes: Uint8Array): Promise<string> {
    const dir = await localDir()
    const path = join(dir, id)
    const partial = `${path}.${process.pid}.partial`
    try {
      await writeFile(partial, bytes, { mode: 0o444 })
      await rename(partial, path)
    } catch (e) {
      throw storageError(e, 'cannot write', path)
    }
    return path
  }

  const objectStore: ObjectStore = {
    inventory,
    async put(bytes) {
      const id = hashBytes(bytes)
      store(id, bytes)
      return id
    },
    async putFile(path, expectedId) {
      const hash = startHash()
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of readSourceFile(path)) {
        hash.update(chunk)
        chunks.push(chunk)
        size += chunk.length
      }
      const id = finishHash(hash)
      if (expectedId !== undefined && expectedId !== id) {
        throw new DvError('CORRUPT', `file ${path} hashes to ${id}, expected ${expectedId}`, {
          hint: 'the file changed while it was being stored; write it again',
          details: { path, id, expectedId },
        })
      }
      store(id, Buffer.concat(chunks, size))
      return { id, bytes: size }
    },
    async get(id) {
      return Uint8Array.from(verified(id))
    },
    async has(id) {
      return objects.has(checkObjectId(id))
    },
    async size(id) {
      return objects.get(checkObjectId(id))?.length
    },
    localPath(id) {
      try {
        const bytes = verified(id)
        let path = localPaths.get(id)
        if (path === undefined) {
          path = copyToTemp(id, bytes)
          localPaths.set(id, path)
          path.catch(() => localPaths.delete(id))
        }
        return path
      } catch (e) {
        return Promise.reject(e)
      }
    },
    localRoot: localDir,
    async *list(prefix = '') {
      checkIdPrefix(prefix)
      for (const id of [...objects.keys()]) if (id.startsWith(prefix)) yield id as ObjectId
    },
    async *listTimed() {
      for (const [id, bytes] of [...objects]) yield { id: id as ObjectId, bytes: bytes.length, modifiedMs: times.get(id) ?? 0 }
    },
    async storeTime() {
      return now()
    },
    async sweep(ids, cutoffMs) {
      const deleted: ObjectId[] = []
      for (const id of ids) {
        const time = times.get(checkObjectId(id))
        if (time === undefined || time >= cutoffMs) continue
        objects.delete(id)
        times.delete(id)
        localPaths.delete(id)
        deleted.push(id)
      }
      return deleted
    },
    async delete(id) {
      objects.delete(checkObjectId(id))
      times.delete(id)
      localPaths.delete(id)
    },
  }

  function nestingConflict(name: string): string | undefined {
    const parts = name.split('/')
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/')
      if (refs.has(parent)) return parent
    }
    for (const other of refs.keys()) if (other.startsWith(`${name}/`)) return other
    return undefined
  }

  const refStore: RefStore = {
    async get(name) {
      const snapshot = refs.get(checkRefPath(name))
      return snapshot === undefined ? undefined : { snapshot, version: snapshot }
    },
    async list(prefix) {
      checkRefPrefix(prefix)
      return [...refs.entries()]
        .filter(([name]) => name.startsWith(prefix))
        .sort(([a], [b]) => compareNames(a, b))
        .map(([name, snapshot]) => ({ name, value: { snapshot, version: snapshot } }))
    },
    async compareAndSwap(name, expected, next) {
      checkRefPath(name)
      checkNextSnapshot(name, next)
      const actual = refs.get(name) ?? null
      if (actual !== expected) throw refConflictError(name, expected, actual)
      if (next === null) {
        refs.delete(name)
        return undefined
      }
      if (actual === null) {
        const other = nestingConflict(name)
        if (other !== undefined) throw refNestingError(name, other)
      }
      refs.set(name, next)
      return { snapshot: next, version: next } satisfies RefValue
    },
  }

  const reflogStore: ReflogStore = {
    async append(ref, timeMs, bytes) {
      const folder = reflogFolder(ref)
      const log = reflogs.get(folder) ?? new Map<string, Uint8Array>()
      reflogs.set(folder, log)
      for (let attempt = 1; ; attempt++) {
        const key = newReflogKey(timeMs)
        if (log.has(key) && attempt < KEY_ATTEMPTS) continue
        if (log.has(key)) throw new DvError('STORAGE', `cannot append to the reflog of '${ref}': no free key after ${KEY_ATTEMPTS} attempts`)
        log.set(key, Uint8Array.from(bytes))
        return key
      }
    },
    async list(ref) {
      return [...(reflogs.get(reflogFolder(ref))?.keys() ?? [])].sort(compareNames)
    },
    async listRefs() {
      return [...reflogs.keys()].map(refOfFolder).filter((r): r is string => r !== undefined).sort(compareNames)
    },
    async read(ref, key) {
      checkReflogKey(key)
      const bytes = reflogs.get(reflogFolder(ref))?.get(key)
      if (bytes === undefined) throw missingEntryError(ref, key, 'memory')
      return Uint8Array.from(bytes)
    },
  }

  return {
    objects: objectStore,
    refs: refStore,
    reflog: reflogStore,
    location: 'memory',
    async readConfig() {
      return config === undefined ? undefined : Uint8Array.from(config)
    },
    async createConfig(bytes) {
      if (config !== undefined) {
        throw new DvError('CONFLICT', 'a repository already exists at memory', { retryable: false })
      }
      config = Uint8Array.from(bytes)
    },
    async close() {
      const dir = tempDir
      tempDir = undefined
      localPaths.clear()
      if (dir !== undefined) await rm(await dir, { recursive: true, force: true })
    },
    async corruptForTest(id) {
      const bytes = objects.get(checkObjectId(id))
      if (bytes === undefined) throw missingObjectError(id)
      objects.set(id, flipByte(bytes))
      localPaths.delete(id)
    },
    async writeRawForTest(id, bytes) {
      objects.set(checkObjectId(id), Uint8Array.from(bytes))
      if (!times.has(id)) times.set(id, now())
      inventory.record(id, bytes.length)
      localPaths.delete(id)
    },
  }
}
