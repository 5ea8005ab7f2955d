/** Leases on S3 (format-spec/gc.md#leases): `<prefix>gc/leases/<name>`, replaced by each PUT; their time is LastModified. */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { DvError } from '../errors.js'
import { mapLimit } from './map-limit.js'
import { isNoSuchKey, s3Error } from './s3-errors.js'
import { listNamesUnder } from './s3-list.js'
import type { S3Context } from './s3-location.js'
import type { LeaseStore } from './types.js'

const NAME = /^[0-9a-f]{16}$/

export class S3LeaseStore implements LeaseStore {
  constructor(private readonly ctx: S3Context) {}

  private get base(): string {
    return `${this.ctx.loc.prefix}gc/leases/`
  }

  private where() {
    return { url: this.ctx.loc.url, bucket: this.ctx.loc.bucket, endpoint: this.ctx.endpoint }
  }

  private key(name: string): string {
    if (!NAME.test(name)) throw new DvError('INVALID_ARGUMENT', `invalid lease name '${name}': expected 16 hex digits`)
    return `${this.base}${name}`
  }

  async put(name: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.ctx.client.send(new PutObjectCommand({ Bucket: this.ctx.loc.bucket, Key: this.key(name), Body: bytes, ContentType: 'application/json' }))
    } catch (e) {
      throw s3Error(e, `write the lease ${name}`, this.where())
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.ctx.client.send(new DeleteObjectCommand({ Bucket: this.ctx.loc.bucket, Key: this.key(name) }))
    } catch (e) {
      if (!isNoSuchKey(e)) throw s3Error(e, `delete the lease ${name}`, this.where())
    }
  }

  async list(): Promise<Array<{ name: string; bytes: Uint8Array; modifiedMs: number }>> {
    const names = await listNamesUnder(this.ctx, this.base, 'list the leases')
    const read = await mapLimit(names, 8, async (name) => {
      try {
        const out = await this.ctx.client.send(new GetObjectCommand({ Bucket: this.ctx.loc.bucket, Key: `${this.base}${name}` }))
        if (out.LastModified === undefined) throw new DvError('STORAGE', `the S3 store at ${this.ctx.loc.url} gave the lease ${name} no LastModified time`)
        return { name, bytes: (await out.Body?.transformToByteArray()) ?? new Uint8Array(), modifiedMs: out.LastModified.getTime() }
      } catch (e) {
        // released between the listing and the read: nothing staged there any more
        if (isNoSuchKey(e)) return undefined
        throw s3Error(e, `read the lease ${name}`, this.where())
      }
    })
    return read.filter((l) => l !== undefined)
  }
}
