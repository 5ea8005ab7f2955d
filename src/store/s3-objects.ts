/**
 * Objects on S3: `<prefix>objects/<2 hex>/<64 hex>`, written with
 * `If-None-Match: *` and the SHA-256 sent as `x-amz-checksum-sha256` (the
 * object id in base64), read through the LocalObjectCache (cache.ts) and re-verified.
 * 412 on a put means the object is already stored: success once its size
 * matches (content addressing), after refreshing its LastModified (s3-gc.ts). An object this process found corrupt, or a
 * stored one of the wrong size, is overwritten by the next put (repair).
 */
import {
  DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { stat } from 'node:fs/promises'
import { DvError } from '../errors.js'
import { storageStep } from './crash-points.js'
import { isObjectId, type ObjectId } from '../ids.js'
import { hashBytes } from '../ids.js'
import type { LocalObjectCache } from './cache.js'
import { hasErrno, storageError } from './fs-errors.js'
import {
  checkIdPrefix, checkObjectId, corruptObjectError, finishHash, missingObjectError, readSourceFile, startHash,
} from './object-hash.js'
import { isConditionalConflict, isNoSuchKey, isPreconditionFailed, s3Error } from './s3-errors.js'
import { objectKey, type S3Context } from './s3-location.js'
import { fileChangedError, uploadMultipart, type MultipartOptions } from './s3-multipart.js'
import { flipByte, type StorageTestHooks } from './test-hooks.js'
import type { ObjectStore, TimedObject } from './types.js'
import { S3Inventory } from './s3-inventory.js'
import { abortStaleUploads, freshenObject, headObject, listTimedObjects, s3StoreTime, settleReuse, sweepObjects } from './s3-gc.js'

const CONFLICT_RETRIES = 4

export interface S3ObjectOptions extends MultipartOptions {
  /** Files at least this large are uploaded in parts (default 64 MiB). */
  multipartThreshold?: number
}

export function checksumOf(id: ObjectId): string {
  return Buffer.from(id, 'hex').toString('base64')
}

export class S3ObjectStore implements ObjectStore, StorageTestHooks {
  /** Ids whose stored copy this process found corrupt: the next put overwrites them. */
  private readonly suspect = new Set<string>()
  private readonly threshold: number
  /** gc's inventory and generation log: every object stored here gets a line (format-spec/gc.md#inventory-and-generation-log). */
  readonly inventory: S3Inventory

  constructor(
    private readonly ctx: S3Context,
    readonly cache: LocalObjectCache,
    private readonly options: S3ObjectOptions = {},
  ) {
    this.threshold = options.multipartThreshold ?? 64 * 1024 * 1024
    this.inventory = new S3Inventory(ctx)
  }

  async put(bytes: Uint8Array): Promise<ObjectId> {
    const id = hashBytes(bytes)
    await this.store(id, bytes)
    await this.inventory.record(id, bytes.length)
    await this.cache.write(id, bytes)
    return id
  }

  async putFile(path: string, expectedId?: ObjectId): Promise<{ id: ObjectId; bytes: number }> {
    const size = await stat(path).then((s) => s.size, (e: unknown) => {
      if (hasErrno(e, 'ENOENT', 'ENOTDIR')) throw new DvError('NOT_FOUND', `file not found: ${path}`, { details: { path } })
      throw storageError(e, 'cannot read', path)
    })
    if (size >= this.threshold) {
      const id = await uploadMultipart(this.ctx, path, size, expectedId, {
        ...this.options,
        reuse: (oid, bytes) => this.reuse(oid, bytes),
        settleRewrite: (oid) => this.settleRewrite(oid),
      })
      this.suspect.delete(id)
      await this.inventory.record(id, size)
      return { id, bytes: size }
    }
    const hash = startHash()
    const chunks: Buffer[] = []
    let read = 0
    for await (const chunk of readSourceFile(path)) {
      hash.update(chunk)
      chunks.push(chunk)
      read += chunk.length
    }
    const id = finishHash(hash)
    if (expectedId !== undefined && expectedId !== id) throw fileChangedError(path, id, expectedId)
    await this.store(id, Buffer.concat(chunks, read))
    await this.inventory.record(id, read)
    return { id, bytes: read }
  }

  async get(id: ObjectId): Promise<Uint8Array> {
    checkObjectId(id)
    const cached = await this.cache.read(id)
    if (cached !== undefined) return cached
    const bytes = await this.fetchRaw(id)
    const actual = hashBytes(bytes)
    if (actual !== id) throw this.corrupt(id, actual)
    await this.cache.write(id, bytes)
    return bytes
  }

  async has(id: ObjectId): Promise<boolean> {
    return (await this.size(id)) !== undefined
  }

  async size(id: ObjectId): Promise<number | undefined> {
    return (await this.head(checkObjectId(id)))?.bytes
  }

  /** Size and LastModified of the stored object (0 when the server gives no time), undefined when absent. */
  private async head(id: ObjectId): Promise<{ bytes: number; modifiedMs: number } | undefined> {
    const head = await headObject(this.ctx, id)
    return head && { bytes: head.bytes, modifiedMs: head.modifiedMs ?? 0 }
  }

  /** Objects are read from the local cache (cache.ts), whose directory serves every repository. */
  async localRoot(): Promise<string> {
    return this.cache.objectsDir
  }

  async localPath(id: ObjectId): Promise<string> {
    checkObjectId(id)
    const cached = await this.cache.verifiedPath(id)
    if (cached !== undefined) return cached
    const body = await this.openBody(id)
    let result: Awaited<ReturnType<LocalObjectCache['download']>>
    try {
      result = await this.cache.download(id, body)
    } catch (e) {
      throw s3Error(e, `get object ${id}`, this.errorContext())
    }
    if ('actual' in result) throw this.corrupt(id, result.actual)
    return result.path
  }

  async *list(prefix = ''): AsyncIterable<ObjectId> {
    checkIdPrefix(prefix)
    const base = `${this.ctx.loc.prefix}objects/`
    const keyPrefix = prefix.length >= 2 ? `${base}${prefix.slice(0, 2)}/${prefix}` : `${base}${prefix}`
    let token: string | undefined
    do {
      let page
      try {
        page = await this.ctx.client.send(new ListObjectsV2Command({
          Bucket: this.ctx.loc.bucket, Prefix: keyPrefix, ContinuationToken: token,
        }))
      } catch (e) {
        throw s3Error(e, `list objects '${prefix}'`, this.errorContext())
      }
      for (const item of page.Contents ?? []) {
        const rest = (item.Key ?? '').slice(base.length)
        const name = rest.slice(3)
        if (rest.length === 67 && rest[2] === '/' && isObjectId(name) && name.startsWith(rest.slice(0, 2)) && name.startsWith(prefix)) {
          yield name as ObjectId
        }
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  async delete(id: ObjectId): Promise<void> {
    const key = objectKey(this.ctx.loc, checkObjectId(id))
    await this.cache.evict(id)
    this.suspect.delete(id)
    try {
      await this.ctx.client.send(new DeleteObjectCommand({ Bucket: this.ctx.loc.bucket, Key: key }))
    } catch (e) {
      if (!isNoSuchKey(e)) throw s3Error(e, `delete object ${id}`, this.errorContext())
    }
  }

  async *listTimed(): AsyncIterable<TimedObject> {
    yield* listTimedObjects(this.ctx)
  }

  async storeTime(): Promise<number> {
    return s3StoreTime(this.ctx)
  }

  async sweep(ids: readonly ObjectId[], cutoffMs: number): Promise<ObjectId[]> {
    const deleted = await sweepObjects(this.ctx, ids.map(checkObjectId), cutoffMs)
    for (const id of deleted) {
      await this.cache.evict(id)
      this.suspect.delete(id)
    }
    return deleted
  }

  async abortStaleUploads(cutoffMs: number, dryRun: boolean): Promise<string[]> {
    return abortStaleUploads(this.ctx, cutoffMs, dryRun)
  }

  async corruptForTest(id: ObjectId): Promise<void> {
    await this.writeRawForTest(id, flipByte(await this.fetchRaw(checkObjectId(id))))
  }

  async writeRawForTest(id: ObjectId, bytes: Uint8Array): Promise<void> {
    await this.putRaw(checkObjectId(id), bytes, false, false)
    await this.cache.evict(id)
    await this.inventory.record(id, bytes.length)
  }

  /** PUT If-None-Match: *; an existing object of the right size (and not known corrupt) is success once refreshed. */
  private async store(id: ObjectId, bytes: Uint8Array): Promise<void> {
    if (this.suspect.has(id)) {
      await this.putRaw(id, bytes, false)
      this.suspect.delete(id)
      return
    }
    const created = await this.putRaw(id, bytes, true)
    if (created) return
    // already stored: rely on it once refreshed (format-spec/gc.md); gone, torn or not refreshable: store it again
    if (!(await this.reuse(id, bytes.length))) {
      await this.putRaw(id, bytes, false)
      if (!(await this.settleRewrite(id))) await this.putRaw(id, bytes, false)
    }
    this.suspect.delete(id)
  }

  /**
   * True when `id` is stored with `size` bytes (and not known corrupt) and
   * its LastModified was seen to move forward after a refresh, with no gc
   * sweep running (s3-gc.ts): then the writer may rely on it. False: the
   * caller writes the bytes again, then calls settleRewrite.
   */
  private async reuse(id: ObjectId, size: number): Promise<boolean> {
    if (this.suspect.has(id)) return false
    const before = await this.head(id)
    if (before?.bytes !== size) return false
    for (let attempt = 0; ; attempt++) {
      if ((await freshenObject(this.ctx, id)) === 'gone') return false
      const after = await settleReuse(this.ctx, id)
      if (after === undefined) return false
      if (after > before.modifiedMs) return true
      // unmoved: S3 keeps whole seconds, so a copy in the second of the write looks unmoved (try once more in
      // the next second, when the write looks that recent by this clock: a guess that costs a wait or a
      // rewrite, never safety); or the server keeps the old time on a copy (versitygw 1.8): write it again
      if (attempt > 0 || Date.now() - before.modifiedMs > 2000) return false
      await new Promise((r) => setTimeout(r, 1100))
    }
  }

  /** After writing `id` again over a stored copy: false when a gc sweep running meanwhile deleted it (write it once more). */
  private async settleRewrite(id: ObjectId): Promise<boolean> {
    return (await settleReuse(this.ctx, id)) !== undefined
  }

  /** Returns false when `exclusive` and the key already exists (412). `checksum`: the bytes hash to `id`. */
  private async putRaw(id: ObjectId, bytes: Uint8Array, exclusive: boolean, checksum = true): Promise<boolean> {
    const command = new PutObjectCommand({
      Bucket: this.ctx.loc.bucket,
      Key: objectKey(this.ctx.loc, id),
      Body: bytes,
      ContentLength: bytes.length,
      ...(checksum ? { ChecksumSHA256: checksumOf(id) } : {}),
      ...(exclusive ? { IfNoneMatch: '*' } : {}),
    })
    storageStep('s3.object-put')
    for (let attempt = 0; ; attempt++) {
      try {
        await this.ctx.client.send(command)
        return true
      } catch (e) {
        if (exclusive && isPreconditionFailed(e)) return false
        if (isConditionalConflict(e) && attempt < CONFLICT_RETRIES) continue
        throw s3Error(e, `put object ${id}`, this.errorContext())
      }
    }
  }

  private async openBody(id: ObjectId): Promise<AsyncIterable<Uint8Array>> {
    try {
      const out = await this.ctx.client.send(new GetObjectCommand({ Bucket: this.ctx.loc.bucket, Key: objectKey(this.ctx.loc, id) }))
      return out.Body as AsyncIterable<Uint8Array>
    } catch (e) {
      if (isNoSuchKey(e)) throw missingObjectError(id)
      throw s3Error(e, `get object ${id}`, this.errorContext())
    }
  }

  private async fetchRaw(id: ObjectId): Promise<Uint8Array> {
    const body = await this.openBody(id)
    try {
      const chunks: Uint8Array[] = []
      for await (const chunk of body) chunks.push(chunk)
      const all = Buffer.concat(chunks)
      return new Uint8Array(all.buffer, all.byteOffset, all.byteLength)
    } catch (e) {
      throw s3Error(e, `get object ${id}`, this.errorContext())
    }
  }

  private corrupt(id: ObjectId, actual: string): DvError {
    this.suspect.add(id)
    return corruptObjectError(id, actual, `${this.ctx.loc.url}/${objectKey({ ...this.ctx.loc, prefix: '' }, id)}`)
  }

  private errorContext() {
    return { url: this.ctx.loc.url, bucket: this.ctx.loc.bucket, endpoint: this.ctx.endpoint }
  }
}
