/**
 * The commit protocol (src/table/commit.ts, format-spec/commit-protocol.md)
 * driven directly on real stores, with the counting store to see every
 * compare-and-swap: group commit, monotonic timestamps, bounded manifests,
 * and the retry decision the error carries.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { createMemoryStorage, openLocalStorage, wrapCounting, wrapFaulty, type CountingStorage } from '../../src/store/index.js'
import { serializeSnapshot } from '../../src/format/index.js'
import { MAX_MANIFESTS } from '../../src/table/changes.js'
import { commitChanges, type CommitRequest } from '../../src/table/commit.js'
import { readManifest, readSnapshot, readTableMetadata, type RepoContext } from '../../src/table/context.js'
import { initStore } from '../../src/table/actions/init.js'
import { changeAt, dataFile, mainHead, repoContext } from '../support/changes.js'

const FAST_RETRY = { attempts: 3, startingDelayMs: 1, maxDelayMs: 2, totalMs: 30_000 }

/** A repository on the memory store (counted) whose main holds table `t` with one file. */
async function memoryRepo(now?: () => number): Promise<{ storage: CountingStorage; ctx: RepoContext }> {
  const storage = wrapCounting(createMemoryStorage())
  const ctx = repoContext(storage, now)
  await initStore(ctx)
  const base = await mainHead(storage)
  await commitChanges(ctx, request('create t', [await changeAt(ctx, base, 't', { files: [await dataFile(storage, 'f0')] })]))
  storage.resetCounts()
  return { storage, ctx }
}

function request(message: string, changes: CommitRequest['changes'], extra: Partial<CommitRequest> = {}): CommitRequest {
  return { branch: 'main', message, author: 'unit', changes, retry: FAST_RETRY, ...extra }
}

/** An append of one new file to `t`, planned against the current head of main. */
async function appendOne(ctx: RepoContext, label: string): Promise<CommitRequest['changes'][number]> {
  return changeAt(ctx, await mainHead(ctx.storage), 't', { files: [await dataFile(ctx.storage, label)] })
}

/** Snapshots along first parents from main's head, newest first. */
async function firstParents(ctx: RepoContext): Promise<Array<{ id: SnapshotId; timestampMs: number; message: string }>> {
  const out = []
  for (let id: SnapshotId | undefined = await mainHead(ctx.storage); id; ) {
    const s = await readSnapshot(ctx, id)
    out.push({ id, timestampMs: s.timestampMs, message: s.message })
    id = s.parents[0]
  }
  return out
}

describe('group commit', () => {
  it('lands the requests queued behind a running commit with one compare-and-swap', async () => {
    const { storage, ctx } = await memoryRepo()
    const changes = []
    for (let i = 0; i < 10; i++) changes.push(await appendOne(ctx, `g${i}`))
    // issued in one tick: the first finds the queue idle and lands alone; the nine queued behind it land together
    const results = await Promise.all(changes.map((c, i) => commitChanges(ctx, request(`c${i}`, [c]))))
    expect(storage.counts.cas).toBe(2)
    const chain = await firstParents(ctx)
    expect(chain.slice(0, 10).map((s) => s.message)).toEqual(['c9', 'c8', 'c7', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1', 'c0'])
    expect(results.map((r) => r.snapshot)).toEqual(chain.slice(0, 10).map((s) => s.id).reverse())
    const table = await readTableMetadata(ctx, (await readSnapshot(ctx, chain[0].id)).tables.t)
    expect(table.manifests.reduce((n, m) => n + m.files, 0)).toBe(11)
  })

  it('lands a repeated idempotency key in one batch once; the second request replays the first', async () => {
    const { ctx } = await memoryRepo()
    const [a, b] = [await appendOne(ctx, 'k-a'), await appendOne(ctx, 'k-b')]
    const blocker = commitChanges(ctx, request('first', [await appendOne(ctx, 'blocker')]))
    const [ra, rb] = await Promise.all([
      commitChanges(ctx, request('keyed', [a], { idempotencyKey: 'k1' })),
      commitChanges(ctx, request('keyed again', [b], { idempotencyKey: 'k1' })),
    ])
    await blocker
    expect(ra.idempotentReplay).toBe(false)
    expect(rb).toMatchObject({ snapshot: ra.snapshot, idempotentReplay: true })
    expect((await firstParents(ctx)).filter((s) => s.message.startsWith('keyed'))).toHaveLength(1)
  })
})

describe('timestamps', () => {
  it('strictly increase along first parents even when the clock steps back', async () => {
    let t = Date.UTC(2026, 0, 10)
    const { ctx } = await memoryRepo(() => (t -= 60_000)) // every reading earlier than the one before
    for (let i = 0; i < 5; i++) await commitChanges(ctx, request(`seq${i}`, [await appendOne(ctx, `s${i}`)]))
    const batch = []
    for (let i = 0; i < 5; i++) batch.push(await appendOne(ctx, `b${i}`))
    await Promise.all(batch.map((c, i) => commitChanges(ctx, request(`batch${i}`, [c]))))
    const chain = await firstParents(ctx)
    expect(chain).toHaveLength(12) // root, create, 5 sequential, 5 batched
    for (let i = 0; i < chain.length - 1; i++) expect(chain[i].timestampMs, chain[i].message).toBeGreaterThan(chain[i + 1].timestampMs)
  })
})

describe('manifests', () => {
  it(`stay at most ${MAX_MANIFESTS} after 100 one-file commits, and list every file once`, async () => {
    const { ctx } = await memoryRepo()
    const added: string[] = []
    for (let i = 0; i < 100; i++) {
      const change = await appendOne(ctx, `m${i}`)
      added.push(change.files[0].id)
      await commitChanges(ctx, request(`m${i}`, [change]))
      const table = await readTableMetadata(ctx, (await readSnapshot(ctx, await mainHead(ctx.storage))).tables.t)
      expect(table.manifests.length).toBeLessThanOrEqual(MAX_MANIFESTS)
    }
    const table = await readTableMetadata(ctx, (await readSnapshot(ctx, await mainHead(ctx.storage))).tables.t)
    const listed: string[] = []
    for (const m of table.manifests) listed.push(...(await readManifest(ctx, m.id)).files.map((f) => f.id))
    expect(listed).toHaveLength(101) // the first file, and each commit's
    expect(listed.filter((id) => added.includes(id)).sort()).toEqual([...added].sort())
  })
})

describe('retry decision', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dv-commit-unit-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('retries a branch that moved and lands on top of the concurrent commit', async () => {
    const { storage, ctx } = await memoryRepo()
    const change = await appendOne(ctx, 'mine')
    let other: SnapshotId | undefined
    const result = await commitChanges(ctx, request('mine', [change], {
      // another writer's commit lands between this attempt's snapshot and its ref update
      beforeRefUpdate: async () => {
        if (other) return
        const head = await mainHead(storage)
        const s = await readSnapshot(ctx, head)
        other = await storage.objects.put(serializeSnapshot({ ...s, parents: [head], timestampMs: s.timestampMs + 1, message: 'other', summary: {} })) as SnapshotId
        await storage.refs.compareAndSwap('branches/main', head, other)
      },
    }))
    expect(result.parents).toEqual([other])
    expect(await mainHead(storage)).toBe(result.snapshot)
    expect(storage.counts.cas).toBe(3) // ours failed, the other writer's, ours again
  })

  it('reports a ref lock held past the store\'s wait at once: one compare-and-swap, no retry', async () => {
    const root = join(dir, 'locked')
    const storage = wrapCounting(openLocalStorage(root))
    try {
      const ctx = repoContext(storage)
      await initStore(ctx)
      const change = await changeAt(ctx, await mainHead(storage), 't', { files: [await dataFile(storage, 'x')] })
      await mkdir(join(root, 'refs', 'branches'), { recursive: true })
      const lock = join(root, 'refs', 'branches', 'main.lock')
      await writeFile(lock, '')
      storage.resetCounts()
      const err = await commitChanges(ctx, request('locked', [change])).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'CONFLICT', retryable: false })
      expect((err as Error).message).toContain(lock)
      expect(storage.counts.cas).toBe(1)
    } finally {
      await storage.close()
    }
  })

  it('settles a lost response to the ref update by re-reading the ref: the commit landed', async () => {
    const inner = createMemoryStorage()
    const ctx0 = repoContext(inner)
    await initStore(ctx0)
    const storage = wrapFaulty(inner, { lostResponseOnCas: [1] })
    const ctx = repoContext(storage)
    const change = await changeAt(ctx, await mainHead(storage), 't', { files: [await dataFile(storage, 'y')] })
    const result = await commitChanges(ctx, request('lost', [change]))
    expect(storage.injected).toEqual(['cas#1 lost-response branches/main'])
    expect(result.idempotentReplay).toBe(false)
    expect(await mainHead(inner)).toBe(result.snapshot)
  })
})
