/**
 * Multipart upload of a large local file under its object id, with bounded
 * memory: one reader fills part buffers in order (hashing the whole file as
 * it goes), at most `partConcurrency` parts are in flight, and each part
 * carries its SHA-256 (`x-amz-checksum-sha256`) so the store verifies it.
 *
 * The id is computed first (one streaming pass), because the key is the id.
 * The second pass re-hashes what it uploads: if the file changed in between,
 * the upload is aborted (CORRUPT) and nothing is stored. Completion uses
 * `If-None-Match: *`; 412 means the object is already there (success when
 * its size matches, otherwise the upload completes unconditionally: a repair).
 */
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import { DvError } from '../errors.js'
import type { ObjectId } from '../ids.js'
import { storageError } from './fs-errors.js'
import { finishHash, hashFile, startHash } from './object-hash.js'
import { isPreconditionFailed, s3Error } from './s3-errors.js'
import { objectKey, type S3Context } from './s3-location.js'

const MIN_PART = 5 * 1024 * 1024
const MAX_PARTS = 10_000

export interface MultipartOptions {
  /** Bytes per part (default 16 MiB; raised so that no upload needs more than 10,000 parts). */
  partSize?: number
  /** Parts uploaded at once (default 4); memory use is about (concurrency + 1) x partSize. */
  partConcurrency?: number
}

export interface UploadOptions extends MultipartOptions {
  /** True when `id` is stored with `size` bytes and was refreshed so that a gc keeps it (format-spec/gc.md); false: upload it. */
  reuse(id: ObjectId, size: number): Promise<boolean>
  /** After an upload over a stored copy: false when a gc sweep deleted it meanwhile. */
  settleRewrite(id: ObjectId): Promise<boolean>
}

export async function uploadMultipart(
  ctx: S3Context, path: string, size: number, expectedId: ObjectId | undefined, options: UploadOptions,
): Promise<ObjectId> {
  const id = await hashFile(path).then((r) => r.id, (e: unknown) => Promise.reject(storageError(e, 'cannot read', path)))
  if (expectedId !== undefined && expectedId !== id) throw fileChangedError(path, id, expectedId)
  if (await options.reuse(id, size)) return id

  const where = { url: ctx.loc.url, bucket: ctx.loc.bucket, endpoint: ctx.endpoint }
  const target = { Bucket: ctx.loc.bucket, Key: objectKey(ctx.loc, id) }
  let uploadId: string
  try {
    const created = await ctx.client.send(new CreateMultipartUploadCommand({ ...target, ChecksumAlgorithm: 'SHA256' }))
    uploadId = created.UploadId!
  } catch (e) {
    throw s3Error(e, `start multipart upload of ${id}`, where)
  }
  try {
    const partSize = Math.max(options.partSize ?? 16 * 1024 * 1024, Math.ceil(size / MAX_PARTS), MIN_PART)
    const { parts, actual } = await sendParts(ctx, target, uploadId, path, size, partSize, options.partConcurrency ?? 4)
    if (actual !== id) throw fileChangedError(path, actual, id)
    const complete = (exclusive: boolean) => ctx.client.send(new CompleteMultipartUploadCommand({
      ...target, UploadId: uploadId, MultipartUpload: { Parts: parts }, ...(exclusive ? { IfNoneMatch: '*' } : {}),
    }))
    try {
      await complete(true)
    } catch (e) {
      if (!isPreconditionFailed(e)) throw s3Error(e, `complete multipart upload of ${id}`, where)
      if (await options.reuse(id, size)) {
        await abort(ctx, target, uploadId)
        return id
      }
      await complete(false).catch((err: unknown) => Promise.reject(s3Error(err, `complete multipart upload of ${id}`, where)))
      if (!(await options.settleRewrite(id))) {
        throw new DvError('STORAGE', `a dv gc deleted object ${id} while it was being uploaded again`, {
          retryable: true, hint: 'retry the command', details: { object: id },
        })
      }
    }
    return id
  } catch (e) {
    await abort(ctx, target, uploadId)
    throw s3Error(e, `multipart upload of ${id}`, where)
  }
}

async function abort(ctx: S3Context, target: { Bucket: string; Key: string }, uploadId: string): Promise<void> {
  await ctx.client.send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId })).catch(() => undefined)
}

async function sendParts(
  ctx: S3Context, target: { Bucket: string; Key: string }, uploadId: string, path: string, size: number, partSize: number,
  concurrency: number,
): Promise<{ parts: CompletedPart[]; actual: ObjectId }> {
  const hash = startHash()
  const parts: CompletedPart[] = []
  const inflight = new Set<Promise<void>>()
  let failure: { error: unknown } | undefined
  const handle = await open(path, 'r').catch((e: unknown) => Promise.reject(storageError(e, 'cannot read', path)))
  try {
    for (let offset = 0, number = 1; offset < size && failure === undefined; offset += partSize, number++) {
      const body = await readPart(handle, path, offset, Math.min(partSize, size - offset))
      hash.update(body)
      const checksum = createHash('sha256').update(body).digest('base64')
      const partNumber = number
      const task: Promise<void> = ctx.client
        .send(new UploadPartCommand({
          ...target, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length, ChecksumSHA256: checksum,
        }))
        .then(
          (out) => void (parts[partNumber - 1] = { PartNumber: partNumber, ETag: out.ETag, ChecksumSHA256: checksum }),
          (error: unknown) => void (failure ??= { error }),
        )
        .finally(() => inflight.delete(task))
      inflight.add(task)
      while (inflight.size >= concurrency) await Promise.race(inflight)
    }
    await Promise.all(inflight)
  } finally {
    await handle.close()
  }
  if (failure !== undefined) throw failure.error
  return { parts, actual: finishHash(hash) }
}

async function readPart(handle: FileHandle, path: string, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length)
  let filled = 0
  while (filled < length) {
    const { bytesRead } = await handle
      .read(buffer, filled, length - filled, position + filled)
      .catch((e: unknown) => Promise.reject(storageError(e, 'cannot read', path)))
    if (bytesRead === 0) break
    filled += bytesRead
  }
  // A file that shrank since it was hashed: upload what is there; the final hash check rejects it.
  return filled === length ? buffer : buffer.subarray(0, filled)
}

export function fileChangedError(path: string, id: string, expectedId: string): DvError {
  return new DvError('CORRUPT', `file ${path} hashes to ${id}, expected ${expectedId}`, {
    hint: 'the file changed while it was being stored; write it again',
    details: { path, id, expectedId },
  })
}
