/**
 * What an S3 failure means for dv: which answers are definite (the server
 * refused, nothing was written) and which leave the outcome unknown, and the
 * DvError a user sees (credentials, missing bucket, unreachable endpoint).
 */
import { DvError } from '../errors.js'

interface S3ErrorShape {
  name?: string
  code?: string
  Code?: string
  message?: string
  $metadata?: { httpStatusCode?: number }
  cause?: unknown
}

/** Context for messages: which store, which endpoint. */
export interface S3ErrorContext {
  url: string
  bucket: string
  endpoint: string
}

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired',
  'AuthorizationHeaderMalformed', 'CredentialsProviderError',
])
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

function shape(e: unknown): S3ErrorShape {
  return typeof e === 'object' && e !== null ? (e as S3ErrorShape) : {}
}

export function statusOf(e: unknown): number | undefined {
  return shape(e).$metadata?.httpStatusCode
}

export function nameOf(e: unknown): string {
  const s = shape(e)
  return s.Code ?? s.name ?? ''
}

/** The errno-style code of a network failure, looking through `cause`. */
function networkCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur !== undefined && depth < 4; depth++) {
    const s = shape(cur)
    if (typeof s.code === 'string' && /^E[A-Z_]+$/.test(s.code)) return s.code
    cur = s.cause
  }
  return undefined
}

export function isPreconditionFailed(e: unknown): boolean {
  return statusOf(e) === 412 || nameOf(e) === 'PreconditionFailed'
}

/** 409 ConditionalRequestConflict: a concurrent conditional write; nothing was applied, retry. */
export function isConditionalConflict(e: unknown): boolean {
  return statusOf(e) === 409 || nameOf(e) === 'ConditionalRequestConflict'
}

/** The key (not the bucket) is absent. */
export function isNoSuchKey(e: unknown): boolean {
  const name = nameOf(e)
  if (name === 'NoSuchBucket') return false
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(e) === 404
}

/** The request never reached the server (connection refused, unknown host, no credentials). */
function neverSent(e: unknown): boolean {
  const code = networkCode(e)
  return (code !== undefined && UNREACHABLE.has(code)) || nameOf(e) === 'CredentialsProviderError'
}

/**
 * True when the server definitely did not apply the request: it answered 4xx,
 * or the request never left. Everything else (5xx, timeouts, resets, a lost
 * response) may have been applied.
 */
export function isDefiniteFailure(e: unknown): boolean {
  const status = statusOf(e)
  if (status !== undefined && status >= 400 && status < 500) return true
  return neverSent(e)
}

/** Maps an S3 failure to a DvError naming what was being done. */
export function s3Error(e: unknown, what: string, ctx: S3ErrorContext): DvError {
  if (e instanceof DvError) return e
  const name = nameOf(e)
  const status = statusOf(e)
  const detail = shape(e).message ?? String(e)
  const details = { url: ctx.url, endpoint: ctx.endpoint, s3Code: name, status }
  if (name === 'NoSuchBucket') {
    return new DvError('NOT_FOUND', `bucket '${ctx.bucket}' not found at ${ctx.endpoint} (${what})`, {
      cause: e,
      hint: `create the bucket first, or check the URL ${ctx.url} and AWS_ENDPOINT_URL / AWS_REGION`,
      details,
    })
  }
  if (CREDENTIAL_CODES.has(name) || status === 403) {
    return new DvError('STORAGE', `the S3 store at ${ctx.endpoint} refused the credentials (${what}): ${name || 'HTTP 403'}: ${detail}`, {
      cause: e,
      hint: 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE, and that they may access the bucket',
      details,
    })
  }
  const code = networkCode(e)
  if (code !== undefined && UNREACHABLE.has(code)) {
    return new DvError('STORAGE', `cannot reach the S3 endpoint ${ctx.endpoint} (${what}): ${code}`, {
      cause: e,
      hint: 'check AWS_ENDPOINT_URL (or the profile endpoint) and that the server is running',
      details: { ...details, errno: code },
    })
  }
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ECONNRESET') {
    return new DvError('STORAGE', `the S3 endpoint ${ctx.endpoint} did not answer (${what}): ${code ?? name}`, {
      cause: e,
      retryable: true,
      hint: 'the store may be overloaded or unreachable; retry later',
      details: { ...details, errno: code },
    })
  }
  if (/region is missing/i.test(detail)) {
    return new DvError('STORAGE', `no AWS region configured for ${ctx.url}`, {
      cause: e,
      hint: 'set AWS_REGION (or a region in the AWS profile)',
      details,
    })
  }
  return new DvError('STORAGE', `S3 ${what} failed at ${ctx.endpoint}: ${name || code || 'error'}${status ? ` (HTTP ${status})` : ''}: ${detail}`, {
    cause: e,
    retryable: status !== undefined && status >= 500,
    details,
  })
}
