/**
 * What garbage collection needs of an S3 object store (format-spec/gc.md):
 * object times (LastModified, the store's clock, never the local one), the
 * store's clock read through a scratch key, refreshing a reused object (a
 * CopyObject onto itself), a sweep that re-checks each candidate's time with
 * HEAD right before a DeleteObjects of at most 1,000 keys, and aborting
 * incomplete multipart uploads.
 */
import {
  AbortMultipartUploadCommand, CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { DvError } from '../errors.js'
import { isObjectId, type ObjectId } from '../ids.js'
import { mapLimit } from './map-limit.js'
import { isNoSuchKey, isPreconditionFailed, s3Error } from './s3-errors.js'
import { objectKey, type S3Context } from './s3-location.js'
import type { TimedObject } from './types.js'

const DELETE_BATCH = 1000
const HEAD_CONCURRENCY = 16
/** A sweep stops sending deletes this long after taking the sweep lock (format-spec/gc.md#sweep). */
const SWEEP_LIMIT_MS = 5 * 60_000
/** Writers treat a sweep lock older than this (by their clock) as left by a dead gc: twice the sweep limit. */
const STALE_SWEEP_MS = 2 * SWEEP_LIMIT_MS
/** How long a writer that reuses an object waits for a running sweep to end. */
const SWEEP_WAIT_MS = 60_000

function sweepLockKey(ctx: S3Context): string {
  return `${ctx.loc.prefix}gc/sweeping`
}

function where(ctx: S3Context) {
  return { url: ctx.loc.url, bucket: ctx.loc.bucket, endpoint: ctx.endpoint }
}

/**
 * Asks the store to give a stored object a new LastModified (a copy onto
 * itself with new metadata), so that gc sees it as young; 'gone' when it was
 * deleted meanwhile (the caller stores it again). Some servers (versitygw
 * 1.8) keep the old LastModified on such a copy: the caller checks the time
 * afterwards and writes the bytes again when it did not move.
 */
export async function freshenObject(ctx: S3Context, id: ObjectId): Promise<'ok' | 'gone'> {
  const Key = objectKey(ctx.loc, id)
  try {
    await ctx.client.send(new CopyObjectCommand({
      Bucket: ctx.loc.bucket, Key, CopySource: `${ctx.loc.bucket}/${Key.split('/').map(encodeURIComponent).join('/')}`,
      MetadataDirective: 'REPLACE', Metadata: { 'dv-refreshed': String(Date.now()) },
    }))
    return 'ok'
  } catch (e) {
    if (isNoSuchKey(e)) return 'gone'
    throw s3Error(e, `refresh object ${id}`, where(ctx))
  }
}

export async function* listTimedObjects(ctx: S3Context): AsyncIterable<TimedObject> {
  const base = `${ctx.loc.prefix}objects/`
  let token: string | undefined
  do {
    let page
    try {
      page = await ctx.client.send(new ListObjectsV2Command({ Bucket: ctx.loc.bucket, Prefix: base, ContinuationToken: token }))
    } catch (e) {
      throw s3Error(e, 'list objects', where(ctx))
    }
    for (const item of page.Contents ?? []) {
      const rest = (item.Key ?? '').slice(base.length)
      const name = rest.slice(3)
      if (rest.length !== 67 || rest[2] !== '/' || !isObjectId(name) || !name.startsWith(rest.slice(0, 2))) continue
      if (item.LastModified === undefined) throw new DvError('STORAGE', `the S3 store at ${ctx.loc.url} listed ${item.Key} without a LastModified time`)
      yield { id: name as ObjectId, modifiedMs: item.LastModified.getTime(), bytes: item.Size ?? 0 }
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined
  } while (token !== undefined)
}

/** The store's clock: the LastModified it gives a scratch key written now (the key is deleted after). */
export async function s3StoreTime(ctx: S3Context): Promise<number> {
  const Key = `${ctx.loc.prefix}gc/clock/${randomUUID()}`
  try {
    await ctx.client.send(new PutObjectCommand({ Bucket: ctx.loc.bucket, Key, Body: new Uint8Array(), ContentLength: 0 }))
    const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.loc.bucket, Key }))
    if (head.LastModified === undefined) throw new DvError('STORAGE', `the S3 store at ${ctx.loc.url} gave ${Key} no LastModified time`)
    return head.LastModified.getTime()
  } catch (e) {
    throw s3Error(e, `read the store's clock (${Key})`, where(ctx))
  } finally {
    await ctx.client.send(new DeleteObjectCommand({ Bucket: ctx.loc.bucket, Key })).catch(() => undefined)
  }
}

/** Size and LastModified of a stored object (modifiedMs undefined when the server gives none); undefined when absent. */
export async function headObject(ctx: S3Context, id: ObjectId): Promise<{ bytes: number; modifiedMs: number | undefined } | undefined> {
  try {
    const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.loc.bucket, Key: objectKey(ctx.loc, id) }))
    return { bytes: head.ContentLength ?? 0, modifiedMs: head.LastModified?.getTime() }
  } catch (e) {
    if (isNoSuchKey(e)) return undefined
    throw s3Error(e, `head object ${id}`, where(ctx))
  }
}

/** LastModified of an object now, undefined when absent (or given no time: a sweep then keeps it). */
async function headTime(ctx: S3Context, id: ObjectId): Promise<number | undefined> {
  return (await headObject(ctx, id))?.modifiedMs
}

/**
 * After a writer refreshed or rewrote `id`, settles whether it may rely on
 * it: once no sweep is running, the object's LastModified now (undefined:
 * gone, store it again). A sweep that started before the refresh may delete
 * it; one that starts after re-checks its time and keeps it
 * (format-spec/gc.md#sweep).
 */
export async function settleReuse(ctx: S3Context, id: ObjectId): Promise<number | undefined> {
  const deadline = Date.now() + SWEEP_WAIT_MS
  for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
    const lock = await headTimeOf(ctx, sweepLockKey(ctx), 'read the gc sweep lock')
    if (lock === undefined || Date.now() - lock > STALE_SWEEP_MS) break
    if (Date.now() > deadline) {
      throw new DvError('STORAGE', `a dv gc has been deleting objects from ${ctx.loc.url} for over a minute; object ${id} cannot be reused until it ends`, {
        retryable: true,
        hint: `retry later; if no dv gc is running, remove ${ctx.loc.url}/gc/sweeping`,
        details: { object: id },
      })
    }
    await new Promise((r) => setTimeout(r, wait))
  }
  return headTime(ctx, id)
}

async function headTimeOf(ctx: S3Context, Key: string, what: string): Promise<number | undefined> {
  try {
    const head = await ctx.client.send(new HeadObjectCommand({ Bucket: ctx.loc.bucket, Key }))
    return head.LastModified?.getTime() ?? 0
  } catch (e) {
    if (isNoSuchKey(e)) return undefined
    throw s3Error(e, what, where(ctx))
  }
}

/**
 * Takes the sweep lock `gc/sweeping` (If-None-Match: *: one sweep at a time),
 * then per batch of 1,000: HEAD each candidate, and one DeleteObjects of those
 * still older than the cutoff. Stops sending deletes SWEEP_LIMIT_MS after
 * taking the lock; releases it at the end.
 */
export async function sweepObjects(ctx: S3Context, ids: readonly ObjectId[], cutoffMs: number): Promise<ObjectId[]> {
  if (ids.length === 0) return []
  const lockKey = sweepLockKey(ctx)
  try {
    await ctx.casClient.send(new PutObjectCommand({ Bucket: ctx.loc.bucket, Key: lockKey, Body: new Uint8Array(), ContentLength: 0, IfNoneMatch: '*' }))
  } catch (e) {
    if (isPreconditionFailed(e)) {
      throw new DvError('CONFLICT', `another dv gc is deleting objects from ${ctx.loc.url} (${ctx.loc.url}/gc/sweeping exists); this one deleted nothing`, {
        retryable: true,
        hint: `run dv gc again when the other one has finished; if none is running (it died), remove ${ctx.loc.url}/gc/sweeping`,
        details: { lock: lockKey },
      })
    }
    throw s3Error(e, 'take the gc sweep lock', where(ctx))
  }
  const until = Date.now() + SWEEP_LIMIT_MS
  try {
    return await sweepBatches(ctx, ids, cutoffMs, until)
  } finally {
    await ctx.client.send(new DeleteObjectCommand({ Bucket: ctx.loc.bucket, Key: lockKey })).catch(() => undefined)
  }
}

async function sweepBatches(ctx: S3Context, ids: readonly ObjectId[], cutoffMs: number, until: number): Promise<ObjectId[]> {
  const deleted: ObjectId[] = []
  for (let start = 0; start < ids.length && Date.now() < until; start += DELETE_BATCH) {
    const batch = ids.slice(start, start + DELETE_BATCH)
    const times = await mapLimit(batch, HEAD_CONCURRENCY, (id) => headTime(ctx, id))
    const old = batch.filter((_, i) => times[i] !== undefined && times[i]! < cutoffMs)
    if (old.length === 0) continue
    let out
    try {
      out = await ctx.client.send(new DeleteObjectsCommand({
        Bucket: ctx.loc.bucket, Delete: { Objects: old.map((id) => ({ Key: objectKey(ctx.loc, id) })), Quiet: true },
      }))
    } catch (e) {
      throw s3Error(e, `delete ${old.length} objects`, where(ctx))
    }
    const failed = new Set((out.Errors ?? []).map((err) => err.Key))
    if (failed.size > 0) {
      const first = out.Errors![0]
      throw new DvError('STORAGE', `the S3 store at ${ctx.loc.url} did not delete ${failed.size} objects (${first.Key}: ${first.Code ?? 'error'} ${first.Message ?? ''})`, {
        hint: 'check the bucket policy allows s3:DeleteObject; a later dv gc retries them',
        details: { keys: [...failed] },
      })
    }
    deleted.push(...old)
  }
  return deleted
}

/** Incomplete multipart uploads under `objects/` started before the cutoff: aborted (or only listed, in a dry run). */
export async function abortStaleUploads(ctx: S3Context, cutoffMs: number, dryRun: boolean): Promise<string[]> {
  const Prefix = `${ctx.loc.prefix}objects/`
  const stale: Array<{ Key: string; UploadId: string }> = []
  let keyMarker: string | undefined
  let idMarker: string | undefined
  do {
    let page
    try {
      page = await ctx.client.send(new ListMultipartUploadsCommand({ Bucket: ctx.loc.bucket, Prefix, KeyMarker: keyMarker, UploadIdMarker: idMarker }))
    } catch (e) {
      throw s3Error(e, 'list multipart uploads', where(ctx))
    }
    for (const u of page.Uploads ?? []) {
      if (u.Key !== undefined && u.UploadId !== undefined && u.Initiated !== undefined && u.Initiated.getTime() < cutoffMs) {
        stale.push({ Key: u.Key, UploadId: u.UploadId })
      }
    }
    const more = page.IsTruncated === true
    keyMarker = more ? page.NextKeyMarker : undefined
    idMarker = more ? page.NextUploadIdMarker : undefined
  } while (keyMarker !== undefined)
  if (!dryRun) {
    for (const u of stale) {
      try {
        await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.loc.bucket, ...u }))
      } catch (e) {
        if (!isNoSuchKey(e) && (e as { name?: string }).name !== 'NoSuchUpload') throw s3Error(e, `abort multipart upload of ${u.Key}`, where(ctx))
      }
    }
  }
  return stale.map((u) => u.Key)
}
