/**
 * Concurrent appenders to one ref's reflog never lose an entry
 * (format-spec/storage-requirements.md#reflog-store): N OS processes append
 * M entries each to the same ref, on the local store and on S3; afterwards
 * the ref's log holds exactly N*M entries, each once.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseReflogEntry } from '../../src/format/index.js'
import { openStorage } from '../../src/store/index.js'
import { ensureDistBuilt } from '../crash/ensure-dist.js'
import { runNode } from '../support/run-node.js'
import { createTestBucket, describeS3 } from '../support/s3-server.js'

const CHILD = join(__dirname, 'reflog-child.mjs')
const N = 6
const M = 25
let dir: string

beforeAll(async () => {
  await ensureDistBuilt()
  dir = await mkdtemp(join(tmpdir(), 'dv-reflog-procs-'))
}, 180_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function appendFromProcesses(location: string): Promise<void> {
  const results = await Promise.all(Array.from({ length: N }, (_, w) => runNode(CHILD, [location, 'branches/main', `w${w}`, String(M)])))
  for (const r of results) expect(r.code, r.stderr).toBe(0)
  const storage = await openStorage(location)
  try {
    const keys = await storage.reflog.list('branches/main')
    expect(keys).toHaveLength(N * M)
    expect(new Set(keys).size).toBe(N * M)
    const messages = await Promise.all(keys.map(async (k) => parseReflogEntry(await storage.reflog.read('branches/main', k)).message))
    expect(messages.sort()).toEqual(Array.from({ length: N * M }, (_, i) => `w${Math.floor(i / M)}-${i % M}`).sort())
    expect(await storage.reflog.list('branches/other')).toEqual([])
  } finally {
    await storage.close()
  }
}

describe('reflog appenders in separate processes', () => {
  it(`${N} processes x ${M} appends to one ref on the local store: ${N * M} entries, none lost`, async () => {
    await appendFromProcesses(join(dir, 'local', '.dv'))
  }, 120_000)
})

describeS3('reflog appenders in separate processes on S3', () => {
  it(`${N} processes x ${M} appends to one ref: ${N * M} entries, none lost`, async () => {
    const bucket = await createTestBucket('reflog')
    await appendFromProcesses(`s3://${bucket}/repo-${randomUUID()}`)
  }, 180_000)
})
