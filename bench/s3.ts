/**
 * S3 backend figures on the loopback test server (not part of the tests):
 *   1. commit-like CAS (read ref, put a small object, CAS) latency and rate with 1 and 8 writers,
 *      checking that 8 writers x 50 commits lose and duplicate nothing;
 *   2. upload MB/s of a large putFile vs @aws-sdk/lib-storage's Upload of the same file;
 *   3. reading objects uncached vs cached, with the GET counts.
 *
 *   bash .ci/s3-server.sh start && source /tmp/dv-s3-server/env
 *   npm run build && node dist/bench/s3.js [--upload-mib 1024]
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ObjectId, SnapshotId } from '../src/ids.js'
import { openS3Storage, type S3Storage } from '../src/store/index.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const endpoint = process.env.DV_TEST_S3_ENDPOINT ?? process.env.AWS_ENDPOINT_URL
if (endpoint === undefined) {
  console.error('set DV_TEST_S3_ENDPOINT (bash .ci/s3-server.sh start; source its env file)')
  process.exit(2)
}
const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'dvtest', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'dvtest' }
const uploadMiB = Number(process.argv[process.argv.indexOf('--upload-mib') + 1] ?? 1024) || 1024
const PART = 16 * 1024 * 1024
const CONCURRENCY = 4
const enc = new TextEncoder()

function client(): S3Client {
  return new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

function open3(url: string, cacheDir: string): S3Storage {
  return openS3Storage(url, {
    endpoint, region: 'us-east-1', credentials, cache: { dir: cacheDir },
    multipartThreshold: 64 * 1024 * 1024, partSize: PART, partConcurrency: CONCURRENCY,
  })
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function commits(url: string, cacheDir: string, writers: number, each: number): Promise<void> {
  const latencies: number[] = []
  let conflicts = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    const storage = open3(url, cacheDir)
    for (let i = 0; i < each; i++) {
      const t0 = performance.now()
      for (;;) {
        const head = await storage.refs.get('branches/main')
        const id = await storage.objects.put(enc.encode(JSON.stringify({ parent: head?.snapshot ?? null, w, i })))
        try {
          await storage.refs.compareAndSwap('branches/main', head?.version ?? null, id as SnapshotId)
          break
        } catch (e) {
          if ((e as { code?: string }).code !== 'CONFLICT') throw e
          conflicts++
        }
      }
      latencies.push(performance.now() - t0)
    }
    await storage.close()
  }))
  const seconds = (performance.now() - start) / 1000
  const check = open3(url, cacheDir)
  const seen = new Set<string>()
  let links = 0
  let cursor: SnapshotId | null = (await check.refs.get('branches/main'))?.snapshot ?? null
  while (cursor !== null) {
    const link = JSON.parse(new TextDecoder().decode(await check.objects.get(cursor as ObjectId))) as { parent: SnapshotId | null; w: number; i: number }
    seen.add(`${link.w}:${link.i}`)
    links++
    cursor = link.parent
  }
  await check.close()
  const total = writers * each
  latencies.sort((a, b) => a - b)
  console.log(`commits: ${writers} writer(s) x ${each}: ${(total / seconds).toFixed(1)} commits/s, latency p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
    `p95 ${percentile(latencies, 95).toFixed(1)} ms, conflicts retried ${conflicts}; chain ${links} links, ` +
    `lost ${total - seen.size}, duplicated ${links - seen.size}`)
}

async function writeRandomFile(path: string, mib: number): Promise<void> {
  const handle = await open(path, 'w')
  const chunk = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < mib; i++) {
    for (let j = 0; j < chunk.length; j += 4) chunk.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j)
    await handle.write(chunk)
  }
  await handle.close()
}

async function uploads(bucket: string, cacheDir: string, work: string): Promise<void> {
  const path = join(work, 'big.bin')
  await writeRandomFile(path, uploadMiB)
  const bytes = uploadMiB * 1024 * 1024
  const c = client()
  let t0 = performance.now()
  await new Upload({ client: c, params: { Bucket: bucket, Key: 'sdk/big.bin', Body: createReadStream(path) }, partSize: PART, queueSize: CONCURRENCY }).done()
  const sdkSeconds = (performance.now() - t0) / 1000
  c.destroy()
  const storage = open3(`s3://${bucket}/dv`, cacheDir)
  t0 = performance.now()
  const { id } = await storage.objects.putFile(path)
  const dvSeconds = (performance.now() - t0) / 1000
  await storage.close()
  const mb = bytes / 1e6
  console.log(`upload ${uploadMiB} MiB (parts ${PART / 1024 / 1024} MiB x ${CONCURRENCY}): dv putFile ${(mb / dvSeconds).toFixed(1)} MB/s ` +
    `(incl. hashing the file first), lib-storage Upload ${(mb / sdkSeconds).toFixed(1)} MB/s, ratio ${(sdkSeconds / dvSeconds).toFixed(2)}x; id ${id.slice(0, 12)}`)
}

async function reads(bucket: string, work: string): Promise<void> {
  const url = `s3://${bucket}/reads`
  const writer = open3(url, await mkdtemp(join(work, 'cache-w-')))
  const ids: ObjectId[] = []
  for (let i = 0; i < 50; i++) ids.push(await writer.objects.put(enc.encode(`manifest ${i} `.repeat(2000))))
  await writer.close()
  const cacheDir = await mkdtemp(join(work, 'cache-r-'))
  for (const label of ['uncached', 'cached']) {
    const storage = open3(url, cacheDir)
    const t0 = performance.now()
    for (const id of ids) await storage.objects.get(id)
    const ms = performance.now() - t0
    console.log(`read 50 objects (${label}): ${ms.toFixed(1)} ms, GETs ${storage.requests.GetObject ?? 0}`)
    await storage.close()
  }
}

const work = await mkdtemp(join(tmpdir(), 'dv-bench-s3-'))
try {
  const bucket = `dv-bench-${randomUUID().slice(0, 8)}`
  const c = client()
  await c.send(new CreateBucketCommand({ Bucket: bucket }))
  c.destroy()
  const cacheDir = await mkdtemp(join(work, 'cache-'))
  console.log(`S3 bench against ${endpoint}`)
  await commits(`s3://${bucket}/one`, cacheDir, 1, 100)
  await commits(`s3://${bucket}/eight`, cacheDir, 8, 50)
  await reads(bucket, work)
  await uploads(bucket, cacheDir, work)
} finally {
  await rm(work, { recursive: true, force: true })
}
