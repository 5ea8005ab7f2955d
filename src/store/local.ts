/**
 * Storage on a local filesystem. `root` is the `.dv` directory:
 *
 *   root/config.json                 write-once repository config
 *   root/objects/<2 hex>/<64 hex>    immutable objects (read-only files)
 *   root/refs/branches/<name>        `<64 hex snapshot id>\n`
 *   root/refs/tags/<name>
 *   root/reflog/<ref, '/' as %2F>/<key>.json   one file per ref update (local-reflog.ts)
 *   root/tmp/                        temp files, named after their owner (owner.ts)
 */
import { link, mkdir, open, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { DvError } from '../errors.js'
import type { ObjectId } from '../ids.js'
import { storageStep } from './crash-points.js'
import { fsyncDir, removeQuietly, writeAll } from './fs-durable.js'
import { hasErrno, storageError } from './fs-errors.js'
import { LocalObjectStore } from './local-objects.js'
import { ownedName } from './owner.js'
import { LocalRefStore } from './local-refs.js'
import { LocalReflogStore } from './local-reflog.js'
import type { StorageTestHooks } from './test-hooks.js'
import type { Storage } from './types.js'

export interface LocalStorage extends Storage, StorageTestHooks {
  readonly objects: LocalObjectStore
  readonly refs: LocalRefStore
  readonly reflog: LocalReflogStore
}

export function openLocalStorage(root: string): LocalStorage {
  const location = resolve(root)
  const objects = new LocalObjectStore(location)
  const refs = new LocalRefStore(location)
  const reflog = new LocalReflogStore(location)
  const configPath = join(location, 'config.json')

  return {
    objects,
    refs,
    reflog,
    location,
    async readConfig() {
      try {
        const bytes = await readFile(configPath)
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      } catch (e) {
        if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined
        throw storageError(e, 'cannot read', configPath)
      }
    },
    async createConfig(bytes) {
      await createConfigFile(location, configPath, bytes)
    },
    async close() {},
    corruptForTest: (id: ObjectId) => objects.corruptForTest(id),
    writeRawForTest: (id: ObjectId, bytes: Uint8Array) => objects.writeRawForTest(id, bytes),
  }
}

/** tmp -> fsync -> link to config.json (EEXIST: a repository is already there) -> fsync root. */
async function createConfigFile(root: string, configPath: string, bytes: Uint8Array): Promise<void> {
  const tmpDir = join(root, 'tmp')
  const tmp = join(tmpDir, ownedName('config'))
  try {
    const created = await mkdir(tmpDir, { recursive: true })
    if (created !== undefined && created !== tmpDir) {
      storageStep('config.mkdir-fsync')
      await fsyncDir(dirname(created))
    }
    storageStep('config.tmp-write')
    const handle = await open(tmp, 'wx', 0o444)
    try {
      await writeAll(handle, bytes)
      storageStep('config.tmp-fsync')
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (e) {
    await removeQuietly(tmp)
    throw storageError(e, 'cannot write', tmp)
  }
  try {
    storageStep('config.link')
    await link(tmp, configPath)
    storageStep('config.dir-fsync')
    await fsyncDir(root)
  } catch (e) {
    if (hasErrno(e, 'EEXIST')) {
      throw new DvError('CONFLICT', `a repository already exists at ${root}`, {
        retryable: false,
        hint: 'open the existing repository, or pick another directory',
        details: { path: configPath },
      })
    }
    throw storageError(e, 'cannot create', configPath)
  } finally {
    storageStep('config.tmp-unlink')
    await removeQuietly(tmp)
  }
}
