/**
 * gc in a loop beside live writers (format-spec/gc.md#why-no-live-object-is-deleted):
 * four writers commit (each to its own branch), and a fifth stages content, unstages it, waits until
 * its data object is older than the grace period (exactly what gc is
 * deleting), stages the identical content again (the same object id, found
 * present: refreshed, or stored again if gc got there first) and commits.
 * Afterwards every ref verifies with --full: no live object was deleted.
 * Local store, and S3 on the test server. A few seconds each.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { createTestBucket, s3Endpoint } from '../support/s3-server.js'

/**
 * The grace period must exceed the longest commit (format-spec/gc.md#time): a
 * few seconds is enough here, more on S3, whose LastModified times are whole
 * seconds (up to one second of the grace is lost to that rounding), and whose
 * commits a loaded CI machine can stall for seconds (a process's first commit
 * there takes 3-5 s, most of it before its first object write).
 */
const LOCAL = { graceMs: 2500, readds: 2 }
const S3 = { graceMs: 8000, readds: 2 }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-gc-race-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

let inputs = 0
async function csv(text: string): Promise<string> {
  const path = join(dir, `in-${++inputs}.csv`)
  await writeFile(path, `id,v\n${text}`)
  return path
}

/** The data object ids of the changes staged for `branch` in the workspace at `root`. */
async function stagedFileIds(root: string, branch: string): Promise<string[]> {
  const staging = join(root, '.dv', 'staging', 'branches', branch)
  const ids: string[] = []
  for (const f of await readdir(staging)) {
    if (f.endsWith('.json')) ids.push(...(JSON.parse(await readFile(join(staging, f), 'utf8')) as { files: Array<{ id: string }> }).files.map((x) => x.id))
  }
  return ids.sort()
}

interface Setup {
  graceMs: number
  /** Rounds of the re-adding writer; the others and gc run until it is done. */
  readds: number
  /** A Repository for each of the four committing writers and for gc. */
  open(): Promise<Repository>
  /** The re-adding writer's workspace (its staging is local files). */
  readder: Repository
  readderRoot: string
}

async function race(setup: Setup): Promise<void> {
  const { graceMs: GRACE_MS } = setup
  let done = false
  const writers = await Promise.all([0, 1, 2, 3].map(() => setup.open()))
  const collector = await setup.open()
  let deleted = 0
  let gcRuns = 0
  let readds = 0
  let sameId = 0
  let slowest = 0 // the longest commit (for the re-adder: from finding its object present to landing)

  const writing = writers.map(async (repo, w) => {
    for (let i = 0; !done; i++) {
      const start = Date.now()
      await repo.write(`w${w}`, await csv(`${i},w${w}-${i}\n`), { commit: true, message: `w${w} ${i}`, branch: `w${w}` })
      slowest = Math.max(slowest, Date.now() - start)
    }
  })
  const readding = (async () => {
    const { readder, readderRoot } = setup
    for (let i = 0; i < setup.readds; i++) {
      const input = await csv(`${i},same content ${i}\n`)
      await readder.write('r', input, { branch: 'readd' })
      await readder.write('r', await csv(`${i},never re-added ${i}\n`), { branch: 'readd' }) // garbage gc must delete
      const first = (await stagedFileIds(readderRoot, 'readd'))
      await readder.unstage({ branch: 'readd' })
      // now older than the cutoff: gc's candidate (S3 times are whole seconds); a longer wait lets gc delete it first
      await sleep(GRACE_MS + 1200 + (i % 3) * 1000)
      const start = Date.now()
      await readder.write('r', input, { branch: 'readd' })
      const again = await stagedFileIds(readderRoot, 'readd')
      if (again.length === 1 && first.includes(again[0])) sameId++
      await readder.commit({ message: `re-add ${i}`, branch: 'readd' })
      slowest = Math.max(slowest, Date.now() - start)
      readds++
    }
  })().finally(() => { done = true })
  const collecting = (async () => {
    while (!done) {
      const r = await collector.gc({ graceMs: GRACE_MS, force: true }).catch((e: unknown) => {
        // a live object gone: say whether the run broke the grace assumption (a commit longer than the grace)
        done = true
        throw new Error(`gc run ${gcRuns + 1} failed; slowest commit so far ${slowest} ms against a grace of ${GRACE_MS} ms`, { cause: e })
      })
      deleted += r.deleted.length
      gcRuns++
    }
  })()
  await Promise.all([...writing, readding, collecting])

  expect(readds).toBe(setup.readds)
  expect(sameId).toBe(readds) // identical content, identical object ids: the race the refresh is for
  expect(gcRuns).toBeGreaterThan(2)
  expect(deleted, `${gcRuns} gc runs`).toBeGreaterThan(0) // the unstaged changes older than the grace period went
  const fresh = await setup.open()
  const fsck = await fresh.verify({ full: true })
  expect(fsck.problems, `slowest commit ${slowest} ms: ${JSON.stringify(fsck.problems)}`).toEqual([])
  expect(fsck.refs).toBe(6)
  for (const w of [0, 1, 2, 3]) {
    let rows = 0
    for await (const b of fresh.scan(`w${w}`, { at: `w${w}` })) rows += b.numRows
    expect(rows).toBeGreaterThan(0)
  }
  for (const repo of [...writers, collector, fresh]) await repo.close()
}

describe('gc beside four writers and a re-adding fifth', () => {
  it('local store: no live object is deleted and every ref verifies', async () => {
    const root = join(dir, 'local')
    const readder = await Repository.init(root, { author: 'readd' })
    for (const b of ['readd', 'w0', 'w1', 'w2', 'w3']) await readder.createBranch(b)
    await race({ ...LOCAL, open: () => Repository.open(root), readder, readderRoot: root })
    await readder.close()
  }, 120_000)

  it.skipIf(!s3Endpoint)('S3 store: no live object is deleted and every ref verifies', async () => {
    const url = `s3://${await createTestBucket('gc-race')}/lake`
    const root = join(dir, 's3-ws')
    const readder = await Repository.init(root, { author: 'readd', remote: url })
    for (const b of ['readd', 'w0', 'w1', 'w2', 'w3']) await readder.createBranch(b)
    await race({ ...S3, open: () => Repository.open(url), readder, readderRoot: root })
    await readder.close()
  }, 120_000)
})
