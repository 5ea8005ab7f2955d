/**
 * What garbage collection needs of a local object store (format-spec/gc.md):
 * object times (mtime), the file system's clock, refreshing a reused object,
 * and a sweep that renames each object into `gc-trash/` before its final
 * re-check, so that a writer's refresh (utimes by path) either lands before
 * the rename (the renamed file shows it, and is linked back) or finds the
 * object gone and writes it again. Nothing is lost in between.
 */
import { link, lstat, mkdir, open, readdir, rename, stat, unlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { isObjectId, type ObjectId } from '../ids.js'
import { removeQuietly } from './fs-durable.js'
import { hasErrno, storageError } from './fs-errors.js'
import { mapLimit } from './map-limit.js'
import { ownedName } from './owner.js'
import type { TimedObject } from './types.js'

const HEX2 = /^[0-9a-f]{2}$/

/** How a refresh went: done; the object is gone (write it again); not allowed (another user's file: replace it). */
export type Freshened = 'ok' | 'gone' | 'denied'

/** Sets the object's mtime to now, so that gc sees it as young (format-spec/gc.md#writers-refresh-what-they-reuse). */
export async function freshenFile(path: string): Promise<Freshened> {
  const now = new Date()
  try {
    await utimes(path, now, now)
    return 'ok'
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return 'gone'
    if (hasErrno(e, 'EPERM', 'EACCES')) return 'denied'
    throw storageError(e, 'cannot refresh', path)
  }
}

async function readDirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return []
    throw storageError(e, 'cannot list', dir)
  }
}

/** mtime and size of a file, undefined when absent. */
export async function timeOf(path: string): Promise<{ modifiedMs: number; bytes: number } | undefined> {
  try {
    const s = await lstat(path)
    return s.isFile() ? { modifiedMs: s.mtimeMs, bytes: s.size } : undefined
  } catch (e) {
    if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined
    throw storageError(e, 'cannot stat', path)
  }
}

export async function* listTimedFiles(objectsDir: string): AsyncIterable<TimedObject> {
  for (const dir of (await readDirOrEmpty(objectsDir)).sort()) {
    if (!HEX2.test(dir)) continue
    const names = (await readDirOrEmpty(join(objectsDir, dir))).filter((n) => isObjectId(n) && n.startsWith(dir))
    const times = await mapLimit(names, 16, (n) => timeOf(join(objectsDir, dir, n)))
    for (let i = 0; i < names.length; i++) {
      const t = times[i]
      if (t !== undefined) yield { id: names[i] as ObjectId, ...t }
    }
  }
}

/** The file system's clock: the mtime it gives a file created now in `tmpDir`. */
export async function fileSystemTime(tmpDir: string): Promise<number> {
  await mkdir(tmpDir, { recursive: true }).catch((e: unknown) => Promise.reject(storageError(e, 'cannot create directory', tmpDir)))
  const path = join(tmpDir, ownedName('clock'))
  try {
    const handle = await open(path, 'wx', 0o444)
    try {
      return (await handle.stat()).mtimeMs
    } finally {
      await handle.close()
    }
  } catch (e) {
    throw storageError(e, 'cannot create', path)
  } finally {
    await removeQuietly(path)
  }
}

/**
 * Deletes each object still older than `cutoffMs`: stat, rename into the
 * trash, stat the renamed file again (a refresh between the two shows
 * here), then unlink it, or link it back when it was refreshed.
 */
export async function sweepFiles(
  pathOf: (id: ObjectId) => string, trashDir: string, ids: readonly ObjectId[], cutoffMs: number,
): Promise<ObjectId[]> {
  await mkdir(trashDir, { recursive: true }).catch((e: unknown) => Promise.reject(storageError(e, 'cannot create directory', trashDir)))
  const deleted: ObjectId[] = []
  for (const id of ids) {
    const final = pathOf(id)
    const before = await timeOf(final)
    if (before === undefined || before.modifiedMs >= cutoffMs) continue
    const trash = join(trashDir, id)
    try {
      await rename(final, trash)
    } catch (e) {
      if (hasErrno(e, 'ENOENT')) continue
      throw storageError(e, 'cannot move to the trash', final)
    }
    const after = await timeOf(trash)
    if (after !== undefined && after.modifiedMs >= cutoffMs) {
      await restoreFile(trash, final)
      continue
    }
    try {
      await unlink(trash)
    } catch (e) {
      if (!hasErrno(e, 'ENOENT')) throw storageError(e, 'cannot delete', trash)
    }
    deleted.push(id)
  }
  return deleted
}

/** Links a trashed object back (EEXIST: a writer stored it again meanwhile), then drops the trash name. */
async function restoreFile(trash: string, final: string): Promise<void> {
  try {
    await link(trash, final)
  } catch (e) {
    if (!hasErrno(e, 'EEXIST')) throw storageError(e, 'cannot restore', final)
  }
  await unlink(trash).catch((e: unknown) => {
    if (!hasErrno(e, 'ENOENT')) throw storageError(e, 'cannot delete', trash)
  })
}

/** Puts back every object a gc that died left in the trash (restoring only ever keeps more). */
export async function recoverTrash(pathOf: (id: ObjectId) => string, trashDir: string): Promise<number> {
  let restored = 0
  for (const name of await readDirOrEmpty(trashDir)) {
    if (!isObjectId(name)) continue
    const final = pathOf(name as ObjectId)
    await mkdir(join(final, '..'), { recursive: true }).catch((e: unknown) => Promise.reject(storageError(e, 'cannot create directory', final)))
    await restoreFile(join(trashDir, name), final)
    restored++
  }
  return restored
}

/** Whether a file exists (for callers that must not trust a stale answer). */
export async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
