/**
 * Where an S3 repository lives and how to reach it: the `s3://BUCKET/PREFIX`
 * URL, the key layout under the prefix (format-spec/layout.md), and the S3
 * client built from the standard AWS environment and config chain.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { DvError } from '../errors.js'
import type { ObjectId } from '../ids.js'

export interface S3Location {
  bucket: string
  /** '' or a prefix ending in '/': every key of the repository starts with it. */
  prefix: string
  /** The normalised URL, e.g. 's3://lake/prod' (no trailing '/'). */
  url: string
}

/** Connection settings; each falls back to the AWS environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE...). */
export interface S3ConnectionOptions {
  endpoint?: string
  region?: string
  forcePathStyle?: boolean
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Milliseconds to wait for a TCP connection (default 5000). */
  connectTimeoutMs?: number
  /** Milliseconds of socket inactivity before a request is abandoned (default 60000). */
  requestTimeoutMs?: number
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]*)\/?(.*)$/.exec(url)
  if (match === null) {
    throw new DvError('INVALID_ARGUMENT', `invalid S3 location '${url}': expected s3://BUCKET/PREFIX`)
  }
  const bucket = match[1]!
  if (!BUCKET.test(bucket)) {
    throw new DvError('INVALID_ARGUMENT', `invalid S3 bucket name '${bucket}' in '${url}'`, {
      hint: 'bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens',
    })
  }
  const parts = match[2]!.split('/').filter((p) => p !== '')
  for (const part of parts) {
    if (part === '.' || part === '..' || /[\u0000-\u001f\u007f\\]/.test(part)) {
      throw new DvError('INVALID_ARGUMENT', `invalid S3 prefix component '${part}' in '${url}'`)
    }
  }
  const prefix = parts.length === 0 ? '' : `${parts.join('/')}/`
  return { bucket, prefix, url: `s3://${bucket}${parts.length === 0 ? '' : `/${parts.join('/')}`}` }
}

export function objectKey(loc: S3Location, id: ObjectId): string {
  return `${loc.prefix}objects/${id.slice(0, 2)}/${id}`
}

export function refKey(loc: S3Location, name: string): string {
  return `${loc.prefix}refs/${name}`
}

export function configKey(loc: S3Location): string {
  return `${loc.prefix}config.json`
}

/** The endpoint the client will talk to, for messages ('the AWS default endpoint' when none is configured). */
export function describeEndpoint(options: S3ConnectionOptions): string {
  return resolveEndpoint(options) ?? 'the default AWS S3 endpoint'
}

function resolveEndpoint(options: S3ConnectionOptions): string | undefined {
  const env = process.env
  return options.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL)
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/**
 * An S3 client. `maxAttempts: 1` turns off the SDK's own retries: the ref store
 * must see the first failure of a conditional write (a retried PUT that
 * answers 412 after a lost 200 would look like a conflict).
 */
export function createS3Client(options: S3ConnectionOptions, maxAttempts: number): S3Client {
  const env = process.env
  // dv pins the SDK version (package.json), so its notice about future releases needing Node 22 does not apply.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const endpoint = resolveEndpoint(options)
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION)
  const forcePathStyle = options.forcePathStyle ?? (env.AWS_S3_FORCE_PATH_STYLE === 'true' || endpoint !== undefined)
  const config: S3ClientConfig = {
    forcePathStyle,
    maxAttempts,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? 5000,
      requestTimeout: options.requestTimeoutMs ?? 60_000,
    },
  }
  if (endpoint !== undefined) config.endpoint = endpoint
  // With a custom endpoint and no region anywhere, any region signs correctly.
  if (region !== undefined) config.region = region
  else if (endpoint !== undefined) config.region = 'us-east-1'
  if (options.credentials !== undefined) config.credentials = options.credentials
  return new S3Client(config)
}

/** What the S3 object and ref stores share. */
export interface S3Context {
  loc: S3Location
  /** For idempotent requests: the SDK retries throttling, 5xx and timeouts. */
  client: S3Client
  /** For ref writes: one attempt, so that an unknown outcome is seen and settled by re-reading. */
  casClient: S3Client
  /** For error messages. */
  endpoint: string
}
