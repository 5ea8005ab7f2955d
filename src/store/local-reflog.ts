/**
 * The reflog on a local disk: `reflog/<ref folder>/<key>.json`
 * (reflog-keys.ts). An append never overwrites: write `tmp/reflog.<owner>` (owner.ts)
 * -> fsync it -> create the ref's folder if needed (fsync its parent) ->
 * `link` it to the entry's name (EEXIST: the key is taken, draw another) ->
 * fsync the folder -> unlink the temp. `link` publishes the whole file at
 * once, so a reader never sees a torn entry, even after a crash.
 */
import { ownedName } from './owner.js'
import { link, mkdir, readFile, readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { DvError } from '../errors.js'
import { storageStep } from './crash-points.js'
import { fsyncDir, removeQuietly, writeDurableTemp } from './fs-durable.js'
import { hasErrno, storageError } from './fs-errors.js'
import { compareNames } from './ref-path.js'
import {
  checkReflogKey, KEY_ATTEMPTS, keyOfFileName, missingEntryError, newReflogKey, REFLOG_DIR, reflogFileName, reflogFolder, refOfFolder,
} from './reflog-keys.js'
import type { ReflogStore } from './types.js'

export class LocalReflogStore implements ReflogStore {
  private readonly reflogDir: string
  private readonly tmpDir: string

  constructor(root: string) {
    this.reflogDir = join(root, REFLOG_DIR)
    this.tmpDir = join(root, 'tmp')
  }

  private folderOf(ref: string): string {
    return join(this.reflogDir, reflogFolder(ref))
  }

  async listRefs(): Promise<string[]> {
    let names: string[]
    try {
      names = await readdir(this.reflogDir)
    } catch (e) {
      if (hasErrno(e, 'ENOENT')) return []
      throw storageError(e, 'cannot list', this.reflogDir)
    }
    return names.map(refOfFolder).filter((r): r is string => r !== undefined).sort(compareNames)
  }

  async append(ref: string, timeMs: number, bytes: Uint8Array): Promise<string> {
    const folder = this.folderOf(ref)
    const first = newReflogKey(timeMs)
    // named after its owner, so a later write can remove it if this process is killed (owner.ts)
    const tmp = join(this.tmpDir, ownedName('reflog'))
    try {
      await mkdir(this.tmpDir, { recursive: true })
      await writeDurableTemp(tmp, bytes, 'reflog')
      await this.ensureFolder(folder)
      for (let attempt = 1, key = first; ; attempt++, key = newReflogKey(timeMs)) {
        try {
          storageStep('reflog.link')
          await link(tmp, join(folder, reflogFileName(key)))
        } catch (e) {
          if (hasErrno(e, 'EEXIST') && attempt < KEY_ATTEMPTS) continue
          throw e
        }
        storageStep('reflog.dir-fsync')
        await fsyncDir(folder)
        return key
      }
    } catch (e) {
      throw storageError(e, `cannot append to the reflog of '${ref}' in`, folder)
    } finally {
      await removeQuietly(tmp)
    }
  }

  /** Creates the ref's folder (and `reflog/`), making each new directory durable in its parent. */
  private async ensureFolder(folder: string): Promise<void> {
    const created = await mkdir(folder, { recursive: true })
    if (created === undefined) return
    storageStep('reflog.mkdir-fsync')
    for (let dir = folder; dir.length >= created.length; dir = dirname(dir)) await fsyncDir(dirname(dir))
  }

  async list(ref: string): Promise<string[]> {
    const folder = this.folderOf(ref)
    let names: string[]
    try {
      names = await readdir(folder)
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return []
      throw storageError(e, 'cannot list', folder)
    }
    return names.flatMap((n) => keyOfFileName(n) ?? []).sort(compareNames)
  }

  async read(ref: string, key: string): Promise<Uint8Array> {
    const path = join(this.folderOf(ref), reflogFileName(checkReflogKey(key)))
    try {
      const bytes = await readFile(path)
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) throw missingEntryError(ref, key, path)
      throw e instanceof DvError ? e : storageError(e, 'cannot read', path)
    }
  }
}
