/**
 * The conditional-write probe: several S3-compatible servers accept
 * `If-None-Match` / `If-Match` and ignore them, so that every racer "wins".
 * Before the first ref write through an S3 store, dv checks on a scratch key
 * under the prefix that the store rejects conditional writes that must fail:
 *
 *   1. PUT If-None-Match: *                      -> 200 (creates the scratch key)
 *   2. PUT If-None-Match: * again                -> must be 412
 *   3. PUT If-Match: <a wrong etag>              -> must be 412
 *   4. PUT If-Match: <an etag> on a missing key  -> must be 404 or 412
 *   5. DELETE If-Match: <a wrong etag>           -> 412 = conditional deletes work
 *   6. DELETE the scratch key
 *
 * A failure of 2-4 is UNSUPPORTED: dv refuses to write refs there. Step 5 is
 * reported (`conditionalDelete`), not required. The result is cached per
 * process and store URL; a transient failure is not cached.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { DvError } from '../errors.js'
import { isConditionalConflict, isNoSuchKey, isPreconditionFailed, s3Error } from './s3-errors.js'
import type { S3Context } from './s3-location.js'
import type { Storage } from './types.js'

export interface ConditionalWriteSupport {
  /** A second `If-None-Match: *` PUT of one key is refused (412). */
  ifNoneMatch: boolean
  /** A PUT with a stale `If-Match` is refused (412). */
  ifMatch: boolean
  /** A PUT with `If-Match` on a missing key is refused (404/412). */
  ifMatchOnMissingKey: boolean
  /** A DELETE with a stale `If-Match` is refused (412); when false, ref deletes are not conditional. */
  conditionalDelete: boolean
}

/** A Storage that can run the probe (the S3 backend). Other backends need none. */
export interface ProbedStorage {
  probeContext(): { ctx: S3Context; cacheKey: string }
}

const results = new Map<string, Promise<ConditionalWriteSupport>>()
const FULL: ConditionalWriteSupport = { ifNoneMatch: true, ifMatch: true, ifMatchOnMissingKey: true, conditionalDelete: true }

/**
 * Checks that the store enforces conditional writes; throws DvError
 * UNSUPPORTED when it does not. Local and memory stores pass trivially.
 */
export function probeConditionalWrites(storage: Storage): Promise<ConditionalWriteSupport> {
  const probed = storage as Partial<ProbedStorage>
  if (typeof probed.probeContext !== 'function') return Promise.resolve(FULL)
  const { ctx, cacheKey } = probed.probeContext()
  let result = results.get(cacheKey)
  if (result === undefined) {
    result = runProbe(ctx)
    results.set(cacheKey, result)
    // Only definite answers are remembered: a network failure is probed again next time.
    result.catch((e: unknown) => {
      if (!(e instanceof DvError && e.code === 'UNSUPPORTED')) results.delete(cacheKey)
    })
  }
  return result
}

/** Forgets cached probe results (tests). */
export function forgetProbeResults(): void {
  results.clear()
}

type Outcome = 'ok' | 'refused' | 'missing'

async function runProbe(ctx: S3Context): Promise<ConditionalWriteSupport> {
  const where = { url: ctx.loc.url, bucket: ctx.loc.bucket, endpoint: ctx.endpoint }
  const key = `${ctx.loc.prefix}probe/${randomUUID()}`
  const absent = `${key}-absent`
  const attempt = async (what: string, send: () => Promise<unknown>): Promise<Outcome> => {
    for (let i = 0; ; i++) {
      try {
        await send()
        return 'ok'
      } catch (e) {
        if (isConditionalConflict(e) && i < 4) continue
        if (isPreconditionFailed(e)) return 'refused'
        if (isNoSuchKey(e)) return 'missing'
        throw s3Error(e, `probe conditional writes (${what})`, where)
      }
    }
  }
  const put = (k: string, cond: { IfNoneMatch?: string; IfMatch?: string }) => () =>
    ctx.casClient.send(new PutObjectCommand({ Bucket: ctx.loc.bucket, Key: k, Body: `dv probe ${randomUUID()}\n`, ...cond }))
  const wrongEtag = '"00000000000000000000000000000000"'
  try {
    const created = await attempt('create', put(key, { IfNoneMatch: '*' }))
    if (created !== 'ok') {
      throw new DvError('STORAGE', `cannot write the probe key ${key} at ${ctx.loc.url}: the store answered ${created}`)
    }
    const support: ConditionalWriteSupport = {
      ifNoneMatch: (await attempt('If-None-Match', put(key, { IfNoneMatch: '*' }))) === 'refused',
      ifMatch: (await attempt('If-Match', put(key, { IfMatch: wrongEtag }))) === 'refused',
      ifMatchOnMissingKey: (await attempt('If-Match on a missing key', put(absent, { IfMatch: wrongEtag }))) !== 'ok',
      conditionalDelete: (await attempt('DELETE If-Match', () =>
        ctx.casClient.send(new DeleteObjectCommand({ Bucket: ctx.loc.bucket, Key: key, IfMatch: wrongEtag })))) === 'refused',
    }
    const ignored = [
      support.ifNoneMatch ? '' : 'If-None-Match',
      support.ifMatch ? '' : 'If-Match',
      support.ifMatchOnMissingKey ? '' : 'If-Match on a missing key',
    ].filter((s) => s !== '')
    if (ignored.length > 0) {
      throw new DvError('UNSUPPORTED', `the S3 store at ${ctx.endpoint} (${ctx.loc.url}) ignores conditional writes (${ignored.join(', ')}); dv cannot commit safely there`, {
        hint: 'use a store that enforces If-None-Match/If-Match on PUT (AWS S3, Cloudflare R2, a recent MinIO); test servers such as s3rver do not',
        details: { url: ctx.loc.url, endpoint: ctx.endpoint, ...support },
      })
    }
    return support
  } finally {
    for (const k of [key, absent]) {
      await ctx.casClient.send(new DeleteObjectCommand({ Bucket: ctx.loc.bucket, Key: k })).catch(() => undefined)
    }
  }
}
