/** Every key under a prefix of an S3 store, as names after the prefix: one ListObjectsV2 page per 1,000 keys. */
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { s3Error } from './s3-errors.js'
import type { S3Context } from './s3-location.js'

export async function listNamesUnder(ctx: S3Context, prefix: string, what: string): Promise<string[]> {
  const names: string[] = []
  let token: string | undefined
  do {
    let page
    try {
      page = await ctx.client.send(new ListObjectsV2Command({ Bucket: ctx.loc.bucket, Prefix: prefix, ContinuationToken: token }))
    } catch (e) {
      throw s3Error(e, what, { url: ctx.loc.url, bucket: ctx.loc.bucket, endpoint: ctx.endpoint })
    }
    for (const item of page.Contents ?? []) if (item.Key !== undefined) names.push(item.Key.slice(prefix.length))
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined
  } while (token !== undefined)
  return names
}
