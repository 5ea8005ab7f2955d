/**
 * The inventory and generation log of an S3 store
 * (format-spec/gc.md#inventory-and-generation-log): the key `gc/inventory`,
 * and immutable segments `gc/log/<13-digit ms>-<uuid>`. A process collects
 * the lines of the objects it stores and sends them as one segment before
 * each ref update, when 1,000 wait, and when the store closes.
 */
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { DvError } from '../errors.js'
import type { ObjectId } from '../ids.js'
import { formatInventory, logLine, parseInventory, parseSegment, type InventoryEntry, type ObjectInventory } from './inventory.js'
import { mapLimit } from './map-limit.js'
import { isNoSuchKey, s3Error } from './s3-errors.js'
import { listNamesUnder } from './s3-list.js'
import { headObject } from './s3-gc.js'
import type { S3Context } from './s3-location.js'
import type { TimedObject } from './types.js'

/** Lines a process holds before it sends them without waiting for a ref update. */
const SEGMENT_LINES = 1000

export class S3Inventory implements ObjectInventory {
  private pending: string[] = []
  private sending: Promise<void> = Promise.resolve()

  constructor(private readonly ctx: S3Context) {}

  private get gcPrefix(): string {
    return `${this.ctx.loc.prefix}gc/`
  }

  private where() {
    return { url: this.ctx.loc.url, bucket: this.ctx.loc.bucket, endpoint: this.ctx.endpoint }
  }

  /** Logs an object this process stored; sends the lines when 1,000 wait. */
  async record(id: ObjectId, bytes: number): Promise<void> {
    this.pending.push(logLine(id, bytes))
    if (this.pending.length >= SEGMENT_LINES) await this.flush()
  }

  /** Sends the waiting lines as one segment (before a ref update, and on close). */
  flush(): Promise<void> {
    const done = this.sending.then(() => this.sendPending())
    this.sending = done.catch(() => undefined)
    return done
  }

  private async sendPending(): Promise<void> {
    if (this.pending.length === 0) return
    const lines = this.pending
    this.pending = []
    const Key = `${this.gcPrefix}log/${String(Date.now()).padStart(13, '0')}-${randomUUID()}`
    try {
      await this.ctx.client.send(new PutObjectCommand({ Bucket: this.ctx.loc.bucket, Key, Body: lines.join(''), ContentType: 'text/plain' }))
    } catch (e) {
      // kept for the next flush: a segment that never lands only leaks its objects, but try again
      this.pending = [...lines, ...this.pending]
      throw s3Error(e, 'write the gc log', this.where())
    }
  }

  async read(): Promise<InventoryEntry[] | undefined> {
    const text = await this.getText(`${this.gcPrefix}inventory`, 'read the gc inventory')
    return text === undefined ? undefined : parseInventory(text, `${this.ctx.loc.url}/gc/inventory`)
  }

  async write(entries: readonly InventoryEntry[]): Promise<void> {
    try {
      await this.ctx.client.send(new PutObjectCommand({
        Bucket: this.ctx.loc.bucket, Key: `${this.gcPrefix}inventory`, Body: formatInventory(entries), ContentType: 'text/plain',
      }))
    } catch (e) {
      throw s3Error(e, 'write the gc inventory', this.where())
    }
  }

  /** Segments are immutable: sealing is naming those present now, this process's own lines sent first. */
  async seal(): Promise<string[]> {
    await this.flush()
    const names = await listNamesUnder(this.ctx, `${this.gcPrefix}log/`, 'list the gc log')
    return names.map((n) => `log/${n}`).sort()
  }

  async readSegment(name: string): Promise<InventoryEntry[]> {
    // gone: another gc read and dropped it, and its lines are in that gc's inventory
    return parseSegment((await this.getText(`${this.gcPrefix}${name}`, `read the gc log segment ${name}`)) ?? '')
  }

  async dropSegments(names: readonly string[]): Promise<void> {
    for (let start = 0; start < names.length; start += 1000) {
      const batch = names.slice(start, start + 1000)
      let out
      try {
        out = await this.ctx.client.send(new DeleteObjectsCommand({
          Bucket: this.ctx.loc.bucket, Delete: { Objects: batch.map((n) => ({ Key: `${this.gcPrefix}${n}` })), Quiet: true },
        }))
      } catch (e) {
        throw s3Error(e, `delete ${batch.length} gc log segments`, this.where())
      }
      const first = out.Errors?.[0]
      if (first !== undefined) {
        throw new DvError('STORAGE', `the S3 store at ${this.ctx.loc.url} did not delete gc log segment ${first.Key} (${first.Code ?? 'error'})`, {
          hint: 'check the bucket policy allows s3:DeleteObject; the next dv gc reads the segment again, which is harmless',
        })
      }
    }
  }

  async timesOf(ids: readonly ObjectId[]): Promise<Array<TimedObject | undefined>> {
    return mapLimit(ids, 16, async (id) => {
      const head = await headObject(this.ctx, id)
      // no time given: treat as new, so it is kept (as the sweep does)
      return head && { id, bytes: head.bytes, modifiedMs: head.modifiedMs ?? Number.MAX_SAFE_INTEGER }
    })
  }

  private async getText(Key: string, what: string): Promise<string | undefined> {
    try {
      const out = await this.ctx.client.send(new GetObjectCommand({ Bucket: this.ctx.loc.bucket, Key }))
      return (await out.Body?.transformToString('utf8')) ?? ''
    } catch (e) {
      if (isNoSuchKey(e)) return undefined
      throw s3Error(e, what, this.where())
    }
  }
}
