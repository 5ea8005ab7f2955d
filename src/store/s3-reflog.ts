/**
 * The reflog on S3: `<prefix>reflog/<ref folder>/<key>.json` (reflog-keys.ts).
 * An append is one `PUT` with `If-None-Match: *`, sent without the SDK's
 * retries: `412` means the key is taken (ours, if the bytes there are ours:
 * a PUT that landed before its answer was lost; else draw another key);
 * `409` is retried; an answer that proves nothing is settled by reading the
 * key back, and retried under the same key, so a retry never makes a second
 * entry. A ref's log is read by listing that ref's prefix only.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { DvError } from '../errors.js'
import { storageStep } from './crash-points.js'
import { sleep } from './fs-durable.js'
import { compareNames } from './ref-path.js'
import {
  checkReflogKey, KEY_ATTEMPTS, keyOfFileName, missingEntryError, newReflogKey, REFLOG_DIR, reflogFileName, reflogFolder, refOfFolder,
} from './reflog-keys.js'
import { isConditionalConflict, isDefiniteFailure, isNoSuchKey, isPreconditionFailed, s3Error } from './s3-errors.js'
import { listNamesUnder } from './s3-list.js'
import type { S3Context } from './s3-location.js'
import type { ReflogStore } from './types.js'

export class S3ReflogStore implements ReflogStore {
  /** @param beforeWrite runs before every append (the conditional-write probe, cached per process and URL). */
  constructor(
    private readonly ctx: S3Context,
    private readonly beforeWrite: () => Promise<unknown>,
  ) {}

  private prefixOf(ref: string): string {
    return `${this.ctx.loc.prefix}${REFLOG_DIR}/${reflogFolder(ref)}/`
  }

  async append(ref: string, timeMs: number, bytes: Uint8Array): Promise<string> {
    const prefix = this.prefixOf(ref)
    await this.beforeWrite()
    let key = newReflogKey(timeMs)
    let last: unknown
    for (let attempt = 1; attempt <= KEY_ATTEMPTS; attempt++) {
      const Key = prefix + reflogFileName(key)
      try {
        storageStep('s3.reflog-put')
        await this.ctx.casClient.send(new PutObjectCommand({
          Bucket: this.ctx.loc.bucket, Key, Body: bytes, ContentType: 'application/json', IfNoneMatch: '*',
        }))
        return key
      } catch (e) {
        last = e
        if (isConditionalConflict(e)) {
          await sleep(10 * 2 ** attempt * (0.5 + Math.random()))
          continue
        }
        if (isPreconditionFailed(e)) {
          if (await this.holds(Key, bytes)) return key
          key = newReflogKey(timeMs)
          continue
        }
        if (isDefiniteFailure(e)) throw s3Error(e, `append to the reflog of '${ref}'`, this.errorContext())
        // unknown: the PUT may land later; read it back, else retry the SAME key (If-None-Match keeps one entry)
        if (await this.holds(Key, bytes).catch(() => false)) return key
      }
    }
    throw new DvError('STORAGE', `cannot append to the reflog of '${ref}' at ${this.ctx.loc.url} after ${KEY_ATTEMPTS} attempts`, {
      cause: last,
      retryable: true,
      hint: 'nothing was updated; retry the command',
      details: { ref, url: this.ctx.loc.url },
    })
  }

  /** Whether `Key` holds exactly `bytes`. */
  private async holds(Key: string, bytes: Uint8Array): Promise<boolean> {
    try {
      const out = await this.ctx.client.send(new GetObjectCommand({ Bucket: this.ctx.loc.bucket, Key }))
      const stored = (await out.Body?.transformToByteArray()) ?? new Uint8Array()
      return Buffer.from(stored).equals(Buffer.from(bytes))
    } catch (e) {
      if (isNoSuchKey(e)) return false
      throw s3Error(e, `read reflog entry ${Key}`, this.errorContext())
    }
  }

  async list(ref: string): Promise<string[]> {
    const keys: string[] = []
    for (const name of await listNamesUnder(this.ctx, this.prefixOf(ref), `list the reflog of '${ref}'`)) {
      const key = keyOfFileName(name)
      if (key !== undefined) keys.push(key)
    }
    return keys.sort(compareNames)
  }

  /** Every ref with a log: one delimited listing of `reflog/` (a page per 1000 refs). */
  async listRefs(): Promise<string[]> {
    const base = `${this.ctx.loc.prefix}${REFLOG_DIR}/`
    const refs: string[] = []
    let token: string | undefined
    do {
      let page
      try {
        page = await this.ctx.client.send(new ListObjectsV2Command({ Bucket: this.ctx.loc.bucket, Prefix: base, Delimiter: '/', ContinuationToken: token }))
      } catch (e) {
        throw s3Error(e, 'list the reflogs', this.errorContext())
      }
      for (const p of page.CommonPrefixes ?? []) {
        const ref = refOfFolder((p.Prefix ?? '').slice(base.length, -1))
        if (ref !== undefined) refs.push(ref)
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
    return refs.sort(compareNames)
  }

  async read(ref: string, key: string): Promise<Uint8Array> {
    const Key = this.prefixOf(ref) + reflogFileName(checkReflogKey(key))
    try {
      const out = await this.ctx.client.send(new GetObjectCommand({ Bucket: this.ctx.loc.bucket, Key }))
      return (await out.Body?.transformToByteArray()) ?? new Uint8Array()
    } catch (e) {
      if (isNoSuchKey(e)) throw missingEntryError(ref, key, `${this.ctx.loc.url}/${Key.slice(this.ctx.loc.prefix.length)}`)
      throw s3Error(e, `read reflog entry ${key} of '${ref}'`, this.errorContext())
    }
  }

  private errorContext() {
    return { url: this.ctx.loc.url, bucket: this.ctx.loc.bucket, endpoint: this.ctx.endpoint }
  }
}
