/**
 * Refs on S3: `<prefix>refs/<name>` holding `<64 hex snapshot id>\n`; the
 * version is the object's ETag. Compare-and-swap is one conditional request:
 *
 *   create   PUT    If-None-Match: *
 *   update   PUT    If-Match: <etag>
 *   delete   DELETE If-Match: <etag>   (expected null: a HEAD, nothing to delete)
 *
 * 412 (and 404 for If-Match on a missing key) is CONFLICT. 409
 * ConditionalRequestConflict is retried a few times, then CONFLICT. Any other
 * failure that may have been applied (5xx, timeout, reset, lost response) is
 * settled by re-reading the ref: holding the value we wrote (or absent, for a
 * delete) is success; anything else is OUTCOME_UNKNOWN, never STORAGE.
 * Ref writes go through a client with SDK retries turned off.
 */
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { DvError } from '../errors.js'
import { storageStep } from './crash-points.js'
import type { SnapshotId } from '../ids.js'
import { sleep } from './fs-durable.js'
import {
  checkNextSnapshot, checkRefPath, checkRefPrefix, compareNames, parseRefContent, refConflictError, refNestingError, refPathProblem,
} from './ref-path.js'
import { isConditionalConflict, isDefiniteFailure, isNoSuchKey, isPreconditionFailed, s3Error } from './s3-errors.js'
import { refKey, type S3Context } from './s3-location.js'
import type { RefStore, RefValue } from './types.js'

/** Retries of a 409 ConditionalRequestConflict before it is reported as CONFLICT. */
export const CONFLICT_RETRIES = 4
const LIST_CONCURRENCY = 8

export class S3RefStore implements RefStore {
  /**
   * @param beforeWrite runs before every ref write (the conditional-write probe,
   * cached per process and URL).
   */
  constructor(
    private readonly ctx: S3Context,
    private readonly beforeWrite: () => Promise<unknown>,
  ) {}

  async get(name: string): Promise<RefValue | undefined> {
    const key = refKey(this.ctx.loc, checkRefPath(name))
    let text: string
    let etag: string | undefined
    try {
      const out = await this.ctx.client.send(new GetObjectCommand({ Bucket: this.ctx.loc.bucket, Key: key }))
      text = (await out.Body?.transformToString('utf8')) ?? ''
      etag = out.ETag
    } catch (e) {
      if (isNoSuchKey(e)) return undefined
      throw s3Error(e, `read ref '${name}'`, this.errorContext())
    }
    const snapshot = parseRefContent(text)
    if (snapshot === undefined) {
      const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)
      throw new DvError('CORRUPT', `ref ${this.ctx.loc.url}/refs/${name} is corrupt: expected a 64-hex snapshot id and a newline, found ${shown}`, {
        hint: `repair s3://${this.ctx.loc.bucket}/${key}: write into it the 64-hex id of the snapshot it should name and a newline (\`dv log\` of another branch and \`dv fsck\` help find it), or delete the object to drop the ref; \`dv fsck\` then checks the repository`,
        details: { ref: name, key },
      })
    }
    if (etag === undefined) throw new DvError('STORAGE', `the S3 store at ${this.ctx.endpoint} returned no ETag for ref '${name}'`)
    return { snapshot, version: etag }
  }

  async list(prefix: string): Promise<Array<{ name: string; value: RefValue }>> {
    checkRefPrefix(prefix)
    const base = refKey(this.ctx.loc, '')
    const names: string[] = []
    let token: string | undefined
    do {
      let page
      try {
        page = await this.ctx.client.send(new ListObjectsV2Command({
          Bucket: this.ctx.loc.bucket, Prefix: `${base}${prefix}`, ContinuationToken: token,
        }))
      } catch (e) {
        throw s3Error(e, `list refs '${prefix}'`, this.errorContext())
      }
      for (const item of page.Contents ?? []) {
        const name = (item.Key ?? '').slice(base.length)
        if (refPathProblem(name) === undefined) names.push(name)
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
    names.sort(compareNames)
    const values = new Array<RefValue | undefined>(names.length)
    let next = 0
    const worker = async (): Promise<void> => {
      for (let i = next++; i < names.length; i = next++) values[i] = await this.get(names[i]!)
    }
    await Promise.all(Array.from({ length: Math.min(LIST_CONCURRENCY, names.length) }, worker))
    const out: Array<{ name: string; value: RefValue }> = []
    names.forEach((name, i) => {
      const value = values[i]
      if (value !== undefined) out.push({ name, value })
    })
    return out
  }

  async compareAndSwap(name: string, expected: string | null, next: SnapshotId | null): Promise<RefValue | undefined> {
    checkRefPath(name)
    checkNextSnapshot(name, next)
    await this.beforeWrite()
    if (next === null) return this.deleteRef(name, expected)
    if (expected === null) await this.checkNesting(name)
    const command = new PutObjectCommand({
      Bucket: this.ctx.loc.bucket,
      Key: refKey(this.ctx.loc, name),
      Body: `${next}\n`,
      ContentType: 'text/plain',
      ...(expected === null ? { IfNoneMatch: '*' } : { IfMatch: expected }),
    })
    storageStep('s3.ref-put')
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.ctx.casClient.send(command)
        // a crash here has the ref updated and the caller not told: the lost-response case
        storageStep('s3.ref-put-acknowledged')
        if (out.ETag !== undefined) return { snapshot: next, version: out.ETag }
        const now = await this.get(name)
        if (now?.snapshot === next) return now
        throw this.unknown(name, new Error('the store returned no ETag and the ref was changed again'))
      } catch (e) {
        if (e instanceof DvError) throw e
        if (isConditionalConflict(e) && attempt < CONFLICT_RETRIES) {
          await sleep(10 * 2 ** attempt * (0.5 + Math.random()))
          continue
        }
        if (isPreconditionFailed(e) || isConditionalConflict(e) || (expected !== null && isNoSuchKey(e))) {
          throw refConflictError(name, expected, await this.currentVersion(name))
        }
        if (isDefiniteFailure(e)) throw s3Error(e, `update ref '${name}'`, this.errorContext())
        return this.settle(name, next, e)
      }
    }
  }

  private async deleteRef(name: string, expected: string | null): Promise<undefined> {
    const key = refKey(this.ctx.loc, name)
    if (expected === null) {
      const actual = await this.currentVersion(name)
      if (actual !== null) throw refConflictError(name, expected, actual)
      return undefined
    }
    const command = new DeleteObjectCommand({ Bucket: this.ctx.loc.bucket, Key: key, IfMatch: expected })
    for (let attempt = 0; ; attempt++) {
      try {
        await this.ctx.casClient.send(command)
        return undefined
      } catch (e) {
        if (isConditionalConflict(e) && attempt < CONFLICT_RETRIES) {
          await sleep(10 * 2 ** attempt * (0.5 + Math.random()))
          continue
        }
        if (isPreconditionFailed(e) || isConditionalConflict(e) || isNoSuchKey(e)) {
          throw refConflictError(name, expected, await this.currentVersion(name))
        }
        if (isDefiniteFailure(e)) throw s3Error(e, `delete ref '${name}'`, this.errorContext())
        await this.settle(name, null, e)
        return undefined
      }
    }
  }

  /** After a write whose outcome is unknown: success if the ref now holds `next` (absent for a delete). */
  private async settle(name: string, next: SnapshotId | null, cause: unknown): Promise<RefValue | undefined> {
    let now: RefValue | undefined
    try {
      now = await this.get(name)
    } catch {
      throw this.unknown(name, cause)
    }
    if (next === null ? now === undefined : now?.snapshot === next) return now
    throw this.unknown(name, cause)
  }

  /** The ref's current version (null when absent), for CONFLICT details; null when it cannot be read. */
  private async currentVersion(name: string): Promise<string | null> {
    try {
      const head = await this.ctx.client.send(new HeadObjectCommand({ Bucket: this.ctx.loc.bucket, Key: refKey(this.ctx.loc, name) }))
      return head.ETag ?? null
    } catch (e) {
      if (isNoSuchKey(e)) return null
      throw s3Error(e, `read ref '${name}'`, this.errorContext())
    }
  }

  /**
   * A ref cannot be both a leaf and a prefix of another ('branches/a' and
   * 'branches/a/b'), as on a local disk. Checked before a create; S3 cannot
   * make this atomic, so two racing creators of such names may both succeed.
   */
  private async checkNesting(name: string): Promise<void> {
    const parts = name.split('/')
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/')
      if ((await this.currentVersion(parent)) !== null) throw refNestingError(name, parent)
    }
    const below = `${refKey(this.ctx.loc, name)}/`
    try {
      const page = await this.ctx.client.send(new ListObjectsV2Command({ Bucket: this.ctx.loc.bucket, Prefix: below, MaxKeys: 1 }))
      const first = page.Contents?.[0]?.Key
      if (first !== undefined) throw refNestingError(name, first.slice(refKey(this.ctx.loc, '').length))
    } catch (e) {
      throw s3Error(e, `list refs under '${name}'`, this.errorContext())
    }
  }

  private unknown(name: string, cause: unknown): DvError {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    return new DvError('OUTCOME_UNKNOWN', `ref '${name}' at ${this.ctx.loc.url} may or may not have been updated: ${reason}`, {
      cause,
      hint: 're-read the ref before retrying; do not delete what the update refers to',
      details: { ref: name, url: this.ctx.loc.url },
    })
  }

  private errorContext() {
    return { url: this.ctx.loc.url, bucket: this.ctx.loc.bucket, endpoint: this.ctx.endpoint }
  }
}
