/**
 * The S3 test servers. The real one (moto behind .ci/s3-server.py, which
 * enforces conditional writes) is started by `.ci/s3-server.sh start`, which
 * exports DV_TEST_S3_ENDPOINT; without it the S3 suites are skipped with a
 * printed reason. s3rver (npm) runs in-process: a server that checks
 * signatures but ignores If-None-Match / If-Match, for the probe's refusal.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe } from 'vitest'
import { openS3Storage, type S3Storage, type S3StorageOptions } from '../../src/store/s3.js'
import { useTempDir } from './temp-dir.js'

export const s3Endpoint: string | undefined = process.env.DV_TEST_S3_ENDPOINT || undefined
export const TEST_CREDENTIALS = { accessKeyId: 'dvtest', secretAccessKey: 'dvtest' }

let warned = false
/** `describe` when a test S3 server is configured, else `describe.skip` with the reason printed once. */
export function describeS3(name: string, body: () => void): void {
  if (s3Endpoint === undefined && !warned) {
    warned = true
    console.warn('S3 tests skipped: DV_TEST_S3_ENDPOINT is not set (run `bash .ci/s3-server.sh start` and source its env file)')
  }
  ;(s3Endpoint === undefined ? describe.skip : describe)(name, body)
}

/**
 * Inside a suite: a scratch directory, made before its tests and removed
 * after them, whose `cache` subdirectory is the suite's DV_CACHE_DIR (the
 * value before is restored), so a suite never reads another's cached objects.
 */
export function useS3WorkDir(prefix: string): { readonly path: string } {
  const dir = useTempDir(prefix)
  const saved = process.env.DV_CACHE_DIR
  beforeAll(() => {
    process.env.DV_CACHE_DIR = join(dir.path, 'cache')
  })
  afterAll(() => {
    if (saved === undefined) delete process.env.DV_CACHE_DIR
    else process.env.DV_CACHE_DIR = saved
  })
  return dir
}

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

export function testClient(endpoint = s3Endpoint!, credentials = TEST_CREDENTIALS): S3Client {
  return new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** Creates a fresh bucket on the test server; returns its name. */
export async function createTestBucket(label: string, endpoint = s3Endpoint!): Promise<string> {
  const bucket = `dv-${label}-${randomUUID().slice(0, 8)}`.toLowerCase()
  const client = testClient(endpoint)
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
  } finally {
    client.destroy()
  }
  return bucket
}

/** A private cache directory per test storage, removed by `cleanupCaches`. */
const caches: string[] = []
export async function freshCacheDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dv-s3cache-'))
  caches.push(dir)
  return dir
}

export async function cleanupCaches(): Promise<void> {
  await Promise.all(caches.splice(0).map((d) => rm(d, { recursive: true, force: true })))
}

/** Opens an S3 storage on the test server with explicit settings and a private cache. */
export async function openTestS3(url: string, options: S3StorageOptions = {}): Promise<S3Storage> {
  return openS3Storage(url, {
    endpoint: s3Endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS,
    cache: { dir: await freshCacheDir() }, ...options,
  })
}

export interface RunningS3rver {
  endpoint: string
  close(): Promise<void>
}

/** s3rver 3.7.1 in-process on 127.0.0.1 (random port), credentials S3RVER/S3RVER, with `buckets` created. */
export async function startS3rver(buckets: string[]): Promise<RunningS3rver> {
  const require = createRequire(import.meta.url)
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
    run(): Promise<AddressInfo>
    close(): Promise<void>
  }
  const directory = await mkdtemp(join(tmpdir(), 'dv-s3rver-'))
  const server = new S3rver({
    address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })),
  })
  const address = await server.run()
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
