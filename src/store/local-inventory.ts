/**
 * The inventory and generation log of a local store
 * (format-spec/gc.md#inventory-and-generation-log): `gc/inventory`, replaced
 * by rename; `gc/log/objects`, which every process appends a line to for
 * each object it stores (O_APPEND: one process's lines go in one write and
 * never interleave with another's); `gc/sealed/`, the log files a gc has
 * renamed aside (later lines then start a new file) and reads.
 */
import { appendFile, mkdir, readFile, readdir, rename, unlink } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { ObjectId } from '../ids.js'
import { fsyncDir, removeQuietly, writeDurableTemp } from './fs-durable.js'
import { hasErrno, storageError } from './fs-errors.js'
import { formatInventory, logLine, parseInventory, parseSegment, type InventoryEntry, type ObjectInventory } from './inventory.js'
import { timeOf } from './local-gc.js'
import { mapLimit } from './map-limit.js'
import { ownedName } from './owner.js'
import type { TimedObject } from './types.js'

/** The open log file: every writer appends to it; a gc renames it into `sealed/`. */
const LOG_FILE = 'objects'

export class LocalInventory implements ObjectInventory {
  private readonly gcDir: string
  private readonly logDir: string
  private readonly sealedDir: string
  private readonly inventoryPath: string
  private pending: string[] = []
  private appending: Promise<void> = Promise.resolve()
  private logDirReady = false

  constructor(root: string, private readonly tmpDir: string, private readonly pathOf: (id: ObjectId) => string) {
    this.gcDir = join(root, 'gc')
    this.logDir = join(this.gcDir, 'log')
    this.sealedDir = join(this.gcDir, 'sealed')
    this.inventoryPath = join(this.gcDir, 'inventory')
  }

  /**
   * Logs an object this process has stored. Lines of concurrent writes go
   * out in one append; not synced (a line lost in a crash only leaks).
   */
  record(id: ObjectId, bytes: number): Promise<void> {
    this.pending.push(logLine(id, bytes))
    const done = this.appending.then(() => this.appendPending())
    this.appending = done.catch(() => undefined)
    return done
  }

  private async appendPending(): Promise<void> {
    if (this.pending.length === 0) return
    const text = this.pending.join('')
    this.pending = []
    const path = join(this.logDir, LOG_FILE)
    try {
      if (!this.logDirReady) await mkdir(this.logDir, { recursive: true })
      this.logDirReady = true
      // by path, never through a kept descriptor: once a gc renames the file aside, the next line starts a new one
      await appendFile(path, text).catch(async (e: unknown) => {
        if (!hasErrno(e, 'ENOENT')) throw e
        // the log's directory was removed behind this process: made again, once
        await mkdir(this.logDir, { recursive: true })
        await appendFile(path, text)
      })
    } catch (e) {
      throw storageError(e, 'cannot append to the gc log', path)
    }
  }

  async read(): Promise<InventoryEntry[] | undefined> {
    let text: string
    try {
      text = await readFile(this.inventoryPath, 'utf8')
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return undefined
      throw storageError(e, 'cannot read', this.inventoryPath)
    }
    return parseInventory(text, this.inventoryPath)
  }

  async write(entries: readonly InventoryEntry[]): Promise<void> {
    const tmp = join(this.tmpDir, ownedName('inventory'))
    try {
      await mkdir(this.tmpDir, { recursive: true })
      await mkdir(this.gcDir, { recursive: true })
      await writeDurableTemp(tmp, new TextEncoder().encode(formatInventory(entries)), 'inventory')
      await rename(tmp, this.inventoryPath)
      await fsyncDir(this.gcDir)
    } catch (e) {
      await removeQuietly(tmp)
      throw storageError(e, 'cannot write', this.inventoryPath)
    }
  }

  /**
   * Renames every log file into `sealed/` under a name of its own (a file
   * sealed before and not yet dropped, by a gc that died, keeps its lines),
   * and names what `sealed/` holds, as `sealed/<name>`. A dry run renames
   * nothing and names the files where they are.
   */
  async seal(dryRun = false): Promise<string[]> {
    const logs = await this.names(this.logDir)
    if (dryRun) return [...logs.map((n) => `log/${n}`), ...(await this.names(this.sealedDir)).map((n) => `sealed/${n}`)]
    if (logs.length > 0) await mkdir(this.sealedDir, { recursive: true }).catch((e: unknown) => Promise.reject(storageError(e, 'cannot create directory', this.sealedDir)))
    for (const name of logs) {
      const from = join(this.logDir, name)
      try {
        await rename(from, join(this.sealedDir, `${name}.${randomBytes(4).toString('hex')}`))
      } catch (e) {
        if (!hasErrno(e, 'ENOENT')) throw storageError(e, 'cannot seal', from)
      }
    }
    return (await this.names(this.sealedDir)).map((n) => `sealed/${n}`)
  }

  async readSegment(name: string): Promise<InventoryEntry[]> {
    const path = join(this.gcDir, name)
    try {
      return parseSegment(await readFile(path, 'utf8'))
    } catch (e) {
      // another gc read and dropped it: its lines are in that gc's inventory
      if (hasErrno(e, 'ENOENT')) return []
      throw storageError(e, 'cannot read', path)
    }
  }

  async dropSegments(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const path = join(this.gcDir, name)
      await unlink(path).catch((e: unknown) => {
        if (!hasErrno(e, 'ENOENT')) throw storageError(e, 'cannot delete', path)
      })
    }
  }

  async timesOf(ids: readonly ObjectId[]): Promise<Array<TimedObject | undefined>> {
    return mapLimit(ids, 16, async (id) => {
      const t = await timeOf(this.pathOf(id))
      return t && { id, ...t }
    })
  }

  private async names(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).sort()
    } catch (e) {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) return []
      throw storageError(e, 'cannot list', dir)
    }
  }
}
