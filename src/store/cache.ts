/**
 * LocalObjectCache: verified copies of a remote store's objects on the local
 * disk (parsed metadata is cached in memory by table/context.ts). Objects are
 * named by their hash, so one cache directory serves every repository: the
 * same id is the same bytes everywhere.
 *
 *   <dir>/objects/<2 hex>/<64 hex>   cached objects (read-only files)
 *   <dir>/tmp/                        downloads in progress
 *
 * Directory: DV_CACHE_DIR, else $XDG_CACHE_HOME/dv, else ~/.cache/dv.
 * Size bound: DV_CACHE_MAX_BYTES (default 2 GiB); the least recently used
 * entries (by mtime, bumped on every hit) are evicted past it, except entries
 * used in the last `protectMs` (a path handed to an engine must stay readable).
 * Every hit is re-verified by hash (`read`), or once per process (`verifiedPath`).
 *
 * Keeping to the bound runs in the background, once per directory per process:
 * measuring a large cache stats every entry (seconds under load), and a put
 * that waited for it would stretch the commit it belongs to, between its first
 * object write and its ref update, which the gc grace period must cover
 * (format-spec/gc.md#time). `settled()` waits for it (close, tests).
 */
import { randomUUID } from 'node:crypto'
import { mkdir, readFile, readdir, rename, stat, unlink, utimes, writeFile, open } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { DvError } from '../errors.js'
import type { ObjectId } from '../ids.js'
import { removeQuietly, writeAll } from './fs-durable.js'
import { hasErrno, storageError } from './fs-errors.js'
import { hashBytes } from '../ids.js'
import { finishHash, hashFile, startHash } from './object-hash.js'

export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 ** 3

export interface LocalObjectCacheOptions {
  dir?: string
  maxBytes?: number
  /** Entries used this recently are never evicted (default 60 s). */
  protectMs?: number
}

export function defaultCacheDir(): string {
  const env = process.env
  if (env.DV_CACHE_DIR) return env.DV_CACHE_DIR
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'dv')
  return join(homedir(), '.cache', 'dv')
}

function defaultMaxBytes(): number {
  const raw = process.env.DV_CACHE_MAX_BYTES
  if (raw === undefined || raw === '') return DEFAULT_CACHE_MAX_BYTES
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new DvError('INVALID_ARGUMENT', `invalid DV_CACHE_MAX_BYTES '${raw}': expected a whole number of bytes`)
  }
  return n
}

/** What this process knows of one cache directory's size, shared by every LocalObjectCache on it. */
interface Accounting {
  /** Bytes stored, once measured (undefined: not yet). */
  total: number | undefined
  /** The measurement or eviction in progress. */
  task: Promise<void> | undefined
}

const accounts = new Map<string, Accounting>()

export class LocalObjectCache {
  readonly dir: string
  readonly maxBytes: number
  private readonly protectMs: number
  /** Ids verified by hash in this process, with the inode and size they had then. */
  private readonly verified = new Map<string, { ino: number; size: number }>()
  private readonly account: Accounting

  constructor(options: LocalObjectCacheOptions = {}) {
    // absolute, so the paths handed to the data engine lie under the directory it may read
    this.dir = resolve(options.dir ?? defaultCacheDir())
    this.maxBytes = options.maxBytes ?? defaultMaxBytes()
    this.protectMs = options.protectMs ?? 60_000
    let account = accounts.get(this.dir)
    if (account === undefined) accounts.set(this.dir, (account = { total: undefined, task: undefined }))
    this.account = account
  }

  /** Resolves once the size accounting started by earlier writes is done (its failures are ignored). */
  async settled(): Promise<void> {
    while (this.account.task !== undefined) await this.account.task
  }

  /** Where cached objects live: the only cache directory the data engine may read. */
  get objectsDir(): string {
    return join(this.dir, 'objects')
  }

  pathOf(id: ObjectId): string {
    return join(this.objectsDir, id.slice(0, 2), id)
  }

  /** The verified bytes of a cached object; undefined when absent or damaged (a damaged entry is dropped). */
  async read(id: ObjectId): Promise<Uint8Array | undefined> {
    const path = this.pathOf(id)
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch {
      return undefined
    }
    if (hashBytes(bytes) !== id) {
      await this.evict(id)
      return undefined
    }
    await this.touch(path)
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** The path of a cached object, hashed once per process; undefined when absent or damaged. */
  async verifiedPath(id: ObjectId): Promise<string | undefined> {
    const path = this.pathOf(id)
    const info = await stat(path).catch(() => undefined)
    if (info === undefined) return undefined
    const seen = this.verified.get(id)
    if (seen === undefined || seen.ino !== info.ino || seen.size !== info.size) {
      const actual = await hashFile(path).then((r) => r.id, () => undefined)
      if (actual !== id) {
        await this.evict(id)
        return undefined
      }
      this.verified.set(id, { ino: info.ino, size: info.size })
    }
    await this.touch(path)
    return path
  }

  /** Stores verified bytes; failures are ignored (the cache is an optimisation). */
  async write(id: ObjectId, bytes: Uint8Array): Promise<void> {
    const tmp = await this.tempPath().catch(() => undefined)
    if (tmp === undefined) return
    try {
      await writeFile(tmp, bytes, { mode: 0o444 })
      await this.publish(id, tmp, bytes.length)
    } catch {
      await removeQuietly(tmp)
    }
  }

  /**
   * Streams a download into the cache, hashing it. Returns the cached path, or
   * the hash it actually had (nothing is cached then).
   */
  async download(id: ObjectId, body: AsyncIterable<Uint8Array>): Promise<{ path: string } | { actual: ObjectId }> {
    const tmp = await this.tempPath().catch((e: unknown) => Promise.reject(storageError(e, 'cannot create', join(this.dir, 'tmp'))))
    const hash = startHash()
    let size = 0
    let writing = true
    try {
      const handle = await open(tmp, 'wx', 0o444)
      try {
        writing = false
        for await (const chunk of body) {
          hash.update(chunk)
          size += chunk.length
          writing = true
          await writeAll(handle, chunk)
          writing = false
        }
      } finally {
        await handle.close()
      }
      const actual = finishHash(hash)
      if (actual !== id) {
        await removeQuietly(tmp)
        return { actual }
      }
      const path = await this.publish(id, tmp, size)
      const info = await stat(path)
      this.verified.set(id, { ino: info.ino, size: info.size })
      return { path }
    } catch (e) {
      await removeQuietly(tmp)
      // A failure of the download itself is the caller's to map; a local write failure is named here.
      if (e instanceof DvError || !writing) throw e
      throw storageError(e, 'cannot write', tmp)
    }
  }

  async evict(id: ObjectId): Promise<void> {
    this.verified.delete(id)
    const path = this.pathOf(id)
    const info = await stat(path).catch(() => undefined)
    if (info === undefined) return
    await removeQuietly(path)
    if (this.account.total !== undefined) this.account.total -= info.size
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.dir, 'tmp')
    await mkdir(dir, { recursive: true })
    return join(dir, `${randomUUID()}.part`)
  }

  private async publish(id: ObjectId, tmp: string, size: number): Promise<string> {
    const path = this.pathOf(id)
    await mkdir(join(this.dir, 'objects', id.slice(0, 2)), { recursive: true })
    await rename(tmp, path)
    this.added(size)
    return path
  }

  /**
   * Counts `size` new bytes and, when the directory was never measured or is
   * over its bound, starts one background task (per directory) that measures
   * it (the entries published meanwhile included) and evicts.
   */
  private added(size: number): void {
    const account = this.account
    if (account.total !== undefined) account.total += size
    if (account.task !== undefined || (account.total !== undefined && account.total <= this.maxBytes)) return
    const task: Promise<void> = (async () => {
      if (account.total === undefined) account.total = await this.measure()
      if (account.total > this.maxBytes) await this.evictOldest()
    })().catch(() => undefined).finally(() => {
      if (account.task === task) account.task = undefined
    })
    account.task = task
  }

  private async touch(path: string): Promise<void> {
    const now = new Date()
    await utimes(path, now, now).catch(() => undefined)
  }

  private async entries(): Promise<Array<{ id: ObjectId; path: string; size: number; mtimeMs: number }>> {
    const root = join(this.dir, 'objects')
    const out: Array<{ id: ObjectId; path: string; size: number; mtimeMs: number }> = []
    for (const sub of await readdir(root).catch(() => [] as string[])) {
      for (const name of await readdir(join(root, sub)).catch(() => [] as string[])) {
        const path = join(root, sub, name)
        const info = await stat(path).catch(() => undefined)
        if (info?.isFile()) out.push({ id: name as ObjectId, path, size: info.size, mtimeMs: info.mtimeMs })
      }
    }
    return out
  }

  private async measure(): Promise<number> {
    return (await this.entries()).reduce((n, e) => n + e.size, 0)
  }

  /** Deletes least recently used entries until the cache is at 90 % of its bound. */
  private async evictOldest(): Promise<void> {
    const entries = (await this.entries()).sort((a, b) => a.mtimeMs - b.mtimeMs)
    let total = entries.reduce((n, e) => n + e.size, 0)
    const target = Math.floor(this.maxBytes * 0.9)
    const protectAfter = Date.now() - this.protectMs
    for (const entry of entries) {
      if (total <= target) break
      if (entry.mtimeMs > protectAfter) continue
      try {
        await unlink(entry.path)
        total -= entry.size
        this.verified.delete(entry.id)
      } catch (e) {
        if (!hasErrno(e, 'ENOENT')) continue
      }
    }
    this.account.total = total
  }
}
