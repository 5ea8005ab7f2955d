/**
 * Objects on a local disk: `objects/<2 hex>/<64 hex>`, read-only files.
 * Publish protocol: write `tmp/<uuid>` (0o444) -> fsync it -> link to the final
 * name (EEXIST: already there) -> fsync the object directory -> unlink the temp.
 * A corrupt object found under the final name is replaced by rename.
 */
import { statSync, type Stats } from 'node:fs'
import { chmod, copyFile, link, mkdir, open, readFile, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { DvError } from '../errors.js'
import { isObjectId, type ObjectId } from '../ids.js'
import { hashBytes } from '../ids.js'
import { storageStep } from './crash-points.js'
import { fsyncDir, removeQuietly, writeAll } from './fs-durable.js'
import { hasErrno, storageError } from './fs-errors.js'
import {
  checkIdPrefix, checkObjectId, corruptObjectError, hashFile, missingObjectError,
} from './object-hash.js'
import { ownedName } from './owner.js'
import { flipByte, type StorageTestHooks } from './test-hooks.js'
import type { AdoptOptions, ObjectStore, TimedObject } from './types.js'
import { fileSystemTime, freshenFile, listTimedFiles, recoverTrash, sweepFiles } from './local-gc.js'
import { LocalInventory } from './local-inventory.js'

interface TempFile {
  path: string
  handle: FileHandle
}

/** What a file looked like when its hash was last verified. */
interface Stamp {
  ino: number
  size: number
  mtimeMs: number
  ctimeMs: number
}

const HEX2 = /^[0-9a-f]{2}$/

function stampOf(s: Stats): Stamp {
  return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs }
}

function sameStamp(a: Stamp | undefined, b: Stamp): boolean {
  return a !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs
}

export class LocalObjectStore implements ObjectStore, StorageTestHooks {
  private readonly objectsDir: string
  private readonly tmpDir: string
  private readonly trashDir: string
  private readonly verified = new Map<string, Stamp>()
  private readonly knownDirs = new Set<string>()
  private tmpReady: Promise<unknown> | undefined
  /** gc's inventory and generation log: every object stored here gets a line (format-spec/gc.md#inventory-and-generation-log). */
  readonly inventory: LocalInventory

  constructor(root: string) {
    // absolute, so the paths handed to the data engine lie under the directory it may read
    this.objectsDir = resolve(root, 'objects')
    this.tmpDir = join(root, 'tmp')
    this.trashDir = join(root, 'gc-trash')
    this.inventory = new LocalInventory(resolve(root), this.tmpDir, (id) => this.pathOf(id))
  }

  pathOf(id: ObjectId): string {
    return join(this.objectsDir, id.slice(0, 2), id)
  }

  async localRoot(): Promise<string> {
    return this.objectsDir
  }

  async put(bytes: Uint8Array): Promise<ObjectId> {
    const id = hashBytes(bytes)
    if (!((await this.isVerified(id)) && (await this.freshen(id)) === 'ok')) {
      const temp = await this.createTemp()
      try {
        await writeAll(temp.handle, bytes)
      } catch (e) {
        await this.discardTemp(temp)
        throw storageError(e, 'cannot write', temp.path)
      }
      await this.publish(id, temp)
    }
    await this.inventory.record(id, bytes.length)
    return id
  }

  /**
   * Copies the file into the store's tmp directory (copy_file_range via
   * fs.copyFile: no bytes through JS), then hashes and publishes the copy,
   * so a source that changes meanwhile can never publish bytes under the
   * wrong id.
   */
  async putFile(path: string, expectedId?: ObjectId): Promise<{ id: ObjectId; bytes: number }> {
    const temp = await this.createTemp()
    await temp.handle.close().catch(() => undefined)
    try {
      await copyFile(path, temp.path)
    } catch (e) {
      await removeQuietly(temp.path)
      if (hasErrno(e, 'ENOENT') && !(await exists(path))) {
        throw new DvError('NOT_FOUND', `${path} does not exist`, { details: { path } })
      }
      throw storageError(e, 'cannot copy', path)
    }
    if (expectedId !== undefined) {
      const { id } = await hashFile(temp.path).catch((e: unknown) => Promise.reject(storageError(e, 'cannot read', temp.path)))
      if (id !== expectedId) {
        await removeQuietly(temp.path)
        throw new DvError('CORRUPT', `file ${path} hashes to ${id}, expected ${expectedId}`, {
          hint: 'the file changed while it was being stored; write it again',
          details: { path, id, expectedId },
        })
      }
    }
    return this.adoptFile(temp.path)
  }

  /**
   * Takes over a temporary file on the same filesystem: hash it, make it
   * read-only, fsync it, link it into place, fsync the directory, unlink the
   * temporary name. Falls back to a copy (putFile) across filesystems.
   */
  async adoptFile(path: string, options: AdoptOptions = {}): Promise<{ id: ObjectId; bytes: number }> {
    let hashed: { id: ObjectId; before: Stats } | undefined
    try {
      const { id, bytes, stats: before } = await hashFile(path).catch((e: unknown) => Promise.reject(storageError(e, 'cannot read', path)))
      if ((await this.isVerified(id)) && (await this.freshen(id)) === 'ok') {
        await options.ready
        await this.inventory.record(id, bytes)
        return { id, bytes }
      }
      const final = this.pathOf(id)
      try {
        storageStep('object.tmp-fsync')
        await chmod(path, 0o444)
        const handle = await open(path, 'r')
        try {
          await handle.sync()
        } finally {
          await handle.close()
        }
      } catch (e) {
        throw storageError(e, 'cannot sync', path)
      }
      // hashed and synced while the caller checked the file; it becomes an object only if the check passed
      await options.ready
      await this.ensureObjectDir(id)
      try {
        await this.linkOrReuse(path, id)
      } catch (e) {
        if (hasErrno(e, 'EXDEV')) return await this.putFile(path, id)
        throw e
      }
      storageStep('object.dir-fsync')
      await fsyncDir(dirname(final)).catch((err: unknown) => Promise.reject(storageError(err, 'cannot sync directory', dirname(final))))
      await this.inventory.record(id, bytes)
      hashed = { id, before }
      return { id, bytes }
    } finally {
      storageStep('object.tmp-unlink')
      await removeQuietly(path)
      if (hashed) this.verifiedByAdoption(hashed.id, hashed.before)
    }
  }

  /**
   * The object adoptFile just hashed counts as verified (its first read in
   * this process re-hashes nothing) when it is the very file that was hashed,
   * unchanged: the same inode, size and modification time as when the hash
   * opened it.
   * Its stamp is taken now, after the link and the unlink of the temporary
   * name changed its ctime. A contract check re-read each file a write had
   * just stored: a re-hash of 3.6 MB (2,000,000 rows) in front of the check.
   */
  private verifiedByAdoption(id: ObjectId, before: Stats): void {
    let now: Stats | undefined
    try {
      now = statSync(this.pathOf(id), { throwIfNoEntry: false })
    } catch {
      return // not seeded: its first read hashes it, and reports what is wrong
    }
    if (now && now.ino === before.ino && now.size === before.size && now.mtimeMs === before.mtimeMs) this.verified.set(id, stampOf(now))
  }

  async get(id: ObjectId): Promise<Uint8Array> {
    const path = this.pathOf(checkObjectId(id))
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) throw missingObjectError(id)
      throw storageError(e, 'cannot read', path)
    }
    const actual = hashBytes(bytes)
    if (actual !== id) throw corruptObjectError(id, actual, path)
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  async has(id: ObjectId): Promise<boolean> {
    return (await this.statObject(checkObjectId(id))) !== undefined
  }

  async size(id: ObjectId): Promise<number | undefined> {
    return (await this.statObject(checkObjectId(id)))?.size
  }

  async localPath(id: ObjectId): Promise<string> {
    const path = this.pathOf(checkObjectId(id))
    const found = await this.statObject(id)
    if (found === undefined) throw missingObjectError(id)
    const stamp = stampOf(found)
    if (sameStamp(this.verified.get(id), stamp)) return path
    const actual = await this.hashStored(path)
    if (actual !== id) throw corruptObjectError(id, actual, path)
    this.verified.set(id, stamp)
    return path
  }

  async *list(prefix = ''): AsyncIterable<ObjectId> {
    checkIdPrefix(prefix)
    for (const dir of await this.readDir(this.objectsDir)) {
      if (!HEX2.test(dir)) continue
      if (prefix.length >= 2 ? dir !== prefix.slice(0, 2) : !dir.startsWith(prefix)) continue
      for (const name of await this.readDir(join(this.objectsDir, dir))) {
        if (isObjectId(name) && name.startsWith(prefix)) yield name as ObjectId
      }
    }
  }

  async delete(id: ObjectId): Promise<void> {
    const path = this.pathOf(checkObjectId(id))
    this.verified.delete(id)
    try {
      await unlink(path)
    } catch (e) {
      if (!hasErrno(e, 'ENOENT', 'ENOTDIR')) throw storageError(e, 'cannot delete', path)
    }
  }

  async corruptForTest(id: ObjectId): Promise<void> {
    const path = this.pathOf(checkObjectId(id))
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch (e) {
      if (hasErrno(e, 'ENOENT')) throw missingObjectError(id)
      throw storageError(e, 'cannot read', path)
    }
    await this.writeRawForTest(id, flipByte(bytes))
  }

  async writeRawForTest(id: ObjectId, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(checkObjectId(id))
    await this.ensureObjectDir(id)
    const temp = await this.createTemp()
    await writeAll(temp.handle, bytes)
    await temp.handle.close()
    await rename(temp.path, path)
    this.verified.delete(id)
    await this.inventory.record(id, bytes.length)
  }

  /** True when the object exists and its content verifies (hashing it unless already verified). */
  private async isVerified(id: ObjectId): Promise<boolean> {
    const found = await this.statObject(id)
    if (found === undefined) return false
    const stamp = stampOf(found)
    if (sameStamp(this.verified.get(id), stamp)) return true
    if ((await this.hashStored(this.pathOf(id))) !== id) return false
    this.verified.set(id, stamp)
    return true
  }

  /**
   * Synchronous on purpose: every read stats each file it reads (localPath),
   * and a scan of 1,000 files through the thread pool took 10 ms on a quiet
   * machine and 30-245 ms on a busy one (each stat waits for a pool thread and
   * then for the event loop), against 2 ms inline; a stat of a local file
   * whose inode is cached does not block for long.
   */
  private async statObject(id: ObjectId): Promise<Stats | undefined> {
    const path = this.pathOf(id)
    try {
      const s = statSync(path, { throwIfNoEntry: false })
      return s?.isFile() ? s : undefined
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined
      throw storageError(e, 'cannot stat', path)
    }
  }

  private async hashStored(path: string): Promise<string> {
    try {
      return (await hashFile(path)).id
    } catch (e) {
      throw storageError(e, 'cannot read', path)
    }
  }

  private async readDir(dir: string): Promise<string[]> {
    try {
      return await readdir(dir)
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return []
      throw storageError(e, 'cannot list', dir)
    }
  }

  private async createTemp(): Promise<TempFile> {
    this.tmpReady ??= mkdir(this.tmpDir, { recursive: true }).catch((e: unknown) => {
      this.tmpReady = undefined
      throw storageError(e, 'cannot create directory', this.tmpDir)
    })
    await this.tmpReady
    // named after its owner, so a later write can remove it if this process is killed (owner.ts)
    const path = join(this.tmpDir, ownedName('obj'))
    storageStep('object.tmp-write')
    try {
      return { path, handle: await open(path, 'wx', 0o444) }
    } catch (e) {
      throw storageError(e, 'cannot create', path)
    }
  }

  private async discardTemp(temp: TempFile): Promise<void> {
    await temp.handle.close().catch(() => undefined)
    await removeQuietly(temp.path)
  }

  /** fsync the temp file, then make it visible under the object's final name. */
  private async publish(id: ObjectId, temp: TempFile): Promise<void> {
    const final = this.pathOf(id)
    try {
      storageStep('object.tmp-fsync')
      await temp.handle.sync()
      await temp.handle.close()
    } catch (e) {
      await this.discardTemp(temp)
      throw storageError(e, 'cannot write', temp.path)
    }
    try {
      await this.ensureObjectDir(id)
      await this.linkOrReuse(temp.path, id)
      storageStep('object.dir-fsync')
      await fsyncDir(dirname(final)).catch((err: unknown) => Promise.reject(storageError(err, 'cannot sync directory', dirname(final))))
    } finally {
      storageStep('object.tmp-unlink')
      await removeQuietly(temp.path)
    }
  }

  /**
   * Publishes `path` as object `id` by link. Already there (a concurrent
   * writer, an old copy, or a corrupt copy to repair): a good copy is
   * refreshed before it is relied on (format-spec/gc.md), and replaced by
   * `path` when it is corrupt or cannot be refreshed; one that a gc removed
   * in between is linked again. EXDEV is thrown as is (the caller copies).
   */
  private async linkOrReuse(path: string, id: ObjectId): Promise<void> {
    const final = this.pathOf(id)
    let remade = false
    for (let attempt = 1; ; attempt++) {
      try {
        storageStep('object.link')
        await link(path, final)
        return
      } catch (e) {
        if (hasErrno(e, 'EXDEV')) throw e
        // the object's directory, known to exist, was removed behind this process: made again, once
        if (hasErrno(e, 'ENOENT') && !remade && this.knownDirs.delete(dirname(final))) {
          remade = true
          await this.ensureObjectDir(id)
          continue
        }
        if (!hasErrno(e, 'EEXIST')) throw storageError(e, 'cannot publish', final)
      }
      const intact = await this.hashStored(final).then((h) => h === id, (e: unknown) => {
        if (e instanceof DvError && hasErrno(e.cause, 'ENOENT')) return undefined
        throw e
      })
      const fresh = intact === true ? await this.freshen(id) : intact === undefined ? 'gone' : 'denied'
      if (fresh === 'ok') return
      if (fresh === 'gone' && attempt < 5) continue
      storageStep('object.rename')
      await rename(path, final).catch((err: unknown) => Promise.reject(storageError(err, 'cannot repair', final)))
      return
    }
  }

  /** Refreshes a stored object's time (it is about to be relied on), keeping its verified stamp. */
  private async freshen(id: ObjectId): Promise<'ok' | 'gone' | 'denied'> {
    const path = this.pathOf(id)
    const wasVerified = this.verified.has(id)
    const result = await freshenFile(path)
    this.verified.delete(id)
    if (result === 'ok' && wasVerified) {
      const found = await this.statObject(id)
      if (found !== undefined) this.verified.set(id, stampOf(found))
    }
    return result
  }

  async *listTimed(): AsyncIterable<TimedObject> {
    yield* listTimedFiles(this.objectsDir)
  }

  async storeTime(): Promise<number> {
    return fileSystemTime(this.tmpDir)
  }

  async sweep(ids: readonly ObjectId[], cutoffMs: number): Promise<ObjectId[]> {
    for (const id of ids) this.verified.delete(checkObjectId(id))
    return sweepFiles((id) => this.pathOf(id), this.trashDir, ids, cutoffMs)
  }

  async recoverSweep(): Promise<number> {
    return recoverTrash((id) => this.pathOf(id), this.trashDir)
  }

  /** Creates `objects/` and `objects/xx/` on first use, making each new entry durable. */
  private async ensureObjectDir(id: ObjectId): Promise<void> {
    const dir = dirname(this.pathOf(id))
    if (this.knownDirs.has(dir)) return
    try {
      if (!this.knownDirs.has(this.objectsDir)) {
        storageStep('object.mkdir')
        const created = await mkdir(this.objectsDir, { recursive: true })
        if (created !== undefined) {
          storageStep('object.mkdir-fsync')
          await fsyncDir(dirname(created))
        }
        this.knownDirs.add(this.objectsDir)
      }
      try {
        storageStep('object.mkdir')
        await mkdir(dir)
        storageStep('object.mkdir-fsync')
        await fsyncDir(this.objectsDir)
      } catch (e) {
        if (!hasErrno(e, 'EEXIST')) throw e
      }
    } catch (e) {
      throw storageError(e, 'cannot create directory', dir)
    }
    this.knownDirs.add(dir)
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
