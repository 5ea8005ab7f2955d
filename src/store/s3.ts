/**
 * Storage on S3 or any S3-compatible store, at `s3://BUCKET/PREFIX`:
 *
 *   <prefix>/config.json                 write-once repository config (If-None-Match: *)
 *   <prefix>/objects/<2 hex>/<64 hex>    immutable objects
 *   <prefix>/refs/branches/<name>        "<snapshot id>\n", version = ETag
 *   <prefix>/refs/tags/<name>
 *   <prefix>/reflog/<ref, '/' as %2F>/<key>.json   one object per ref update (If-None-Match: *)
 *   <prefix>/probe/<uuid>                scratch keys of the conditional-write probe (deleted after it)
 *
 * Atomicity comes from conditional writes alone (no lock table): see
 * s3-refs.ts and format-spec/storage-requirements.md. Before the first ref or
 * config write, the store runs the conditional-write probe (once per process
 * and URL) and refuses stores that ignore the headers.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { DvError } from '../errors.js'
import { LocalObjectCache, type LocalObjectCacheOptions } from './cache.js'
import { isConditionalConflict, isDefiniteFailure, isNoSuchKey, isPreconditionFailed, s3Error } from './s3-errors.js'
import {
  configKey, createS3Client, describeEndpoint, parseS3Url, type S3ConnectionOptions, type S3Context,
} from './s3-location.js'
import { S3LeaseStore } from './s3-leases.js'
import { S3ObjectStore, type S3ObjectOptions } from './s3-objects.js'
import { probeConditionalWrites, type ConditionalWriteSupport, type ProbedStorage } from './s3-probe.js'
import { S3RefStore } from './s3-refs.js'
import { S3ReflogStore } from './s3-reflog.js'
import type { StorageTestHooks } from './test-hooks.js'
import type { Storage } from './types.js'

export interface S3StorageOptions extends S3ConnectionOptions, S3ObjectOptions {
  /** The local object cache (default: DV_CACHE_DIR or ~/.cache/dv, DV_CACHE_MAX_BYTES or 2 GiB). */
  cache?: LocalObjectCacheOptions
  /**
   * Run the conditional-write probe before the first ref/config write (default
   * true). Turning it off is only safe with a single writer.
   */
  probe?: boolean
}

/** S3 requests sent, by command name ('GetObject', 'PutObject', ...), for I/O-budget tests and benchmarks. */
export type S3RequestCounts = Record<string, number>

export interface S3Storage extends Storage, StorageTestHooks, ProbedStorage {
  readonly objects: S3ObjectStore
  readonly refs: S3RefStore
  readonly reflog: S3ReflogStore
  readonly bucket: string
  readonly prefix: string
  /** The endpoint requests go to (for messages). */
  readonly endpoint: string
  readonly requests: S3RequestCounts
  resetRequests(): void
  /** The conditional-write probe for this store (cached per process and URL). */
  probe(): Promise<ConditionalWriteSupport>
}

export function openS3Storage(url: string, options: S3StorageOptions = {}): S3Storage {
  const loc = parseS3Url(url)
  const endpoint = describeEndpoint(options)
  const requests: S3RequestCounts = {}
  const client = countRequests(createS3Client(options, 3), requests)
  const casClient = countRequests(createS3Client(options, 1), requests)
  const ctx: S3Context = { loc, client, casClient, endpoint }
  const where = { url: loc.url, bucket: loc.bucket, endpoint }
  const objects = new S3ObjectStore(ctx, new LocalObjectCache(options.cache), options)
  let storage: S3Storage
  const beforeWrite = (): Promise<unknown> => (options.probe === false ? Promise.resolve() : probeConditionalWrites(storage))
  // the objects a ref update may point at are logged for gc before it (format-spec/gc.md#inventory-and-generation-log)
  const refs = new S3RefStore(ctx, () => beforeWrite().then(() => objects.inventory.flush()))
  const reflog = new S3ReflogStore(ctx, beforeWrite)

  storage = {
    objects,
    refs,
    reflog,
    leases: new S3LeaseStore(ctx),
    location: loc.url,
    bucket: loc.bucket,
    prefix: loc.prefix,
    endpoint,
    requests,
    resetRequests: () => {
      for (const k of Object.keys(requests)) delete requests[k]
    },
    probe: () => probeConditionalWrites(storage),
    probeContext: () => ({ ctx, cacheKey: `${endpoint} ${loc.url}` }),
    async readConfig() {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: configKey(loc) }))
        return (await out.Body?.transformToByteArray()) ?? new Uint8Array()
      } catch (e) {
        if (isNoSuchKey(e)) return undefined
        throw s3Error(e, 'read config.json', where)
      }
    },
    async createConfig(bytes) {
      await beforeWrite()
      await createConfigObject(casClient, ctx, bytes)
    },
    async close() {
      // a segment that cannot be sent now only leaks its objects (gc.md); closing must not fail a finished command
      await objects.inventory.flush().catch(() => undefined)
      await objects.cache.settled()
      client.destroy()
      casClient.destroy()
    },
    corruptForTest: (id) => objects.corruptForTest(id),
    writeRawForTest: (id, bytes) => objects.writeRawForTest(id, bytes),
  }
  return storage
}

async function createConfigObject(client: S3Client, ctx: S3Context, bytes: Uint8Array): Promise<void> {
  const where = { url: ctx.loc.url, bucket: ctx.loc.bucket, endpoint: ctx.endpoint }
  const command = new PutObjectCommand({
    Bucket: ctx.loc.bucket, Key: configKey(ctx.loc), Body: bytes, ContentType: 'application/json', IfNoneMatch: '*',
  })
  for (let attempt = 0; ; attempt++) {
    try {
      await client.send(command)
      return
    } catch (e) {
      if (isConditionalConflict(e) && attempt < 4) continue
      if (isPreconditionFailed(e)) {
        throw new DvError('CONFLICT', `a repository already exists at ${ctx.loc.url}`, {
          retryable: false,
          hint: 'open the existing repository, or pick another prefix',
          details: { url: ctx.loc.url },
        })
      }
      if (!isDefiniteFailure(e) && (await readBack(client, ctx).catch(() => undefined))?.equals(bytes) === true) return
      throw s3Error(e, 'create config.json', where)
    }
  }
}

/** The stored config bytes, to settle a create whose response was lost. */
async function readBack(client: S3Client, ctx: S3Context): Promise<Buffer> {
  const out = await client.send(new GetObjectCommand({ Bucket: ctx.loc.bucket, Key: configKey(ctx.loc) }))
  return Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array())
}

function countRequests(client: S3Client, counts: S3RequestCounts): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? 'Unknown').replace(/Command$/, '')
      counts[name] = (counts[name] ?? 0) + 1
      return next(args)
    },
    { step: 'initialize', name: 'dvCountRequests' },
  )
  return client
}
