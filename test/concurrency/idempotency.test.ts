/**
 * Idempotent retries (G2): replaying landed idempotency keys is a no-op that
 * returns the original snapshot; a key reused for different content is a
 * CONFLICT; a lost response on every commit's first attempt, followed by a
 * retry with the same key, yields exactly one commit per key.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { wrapFaulty } from '../../src/store/index.js'
import type { Attempt } from './history-checker.js'
import {
  acknowledgedKeys, checkBranch, countOutcomes, createBaseRepo, expectedIds, failRefReadsAfterLostResponse, openWriter, runWriters, sharedStorage,
} from './setup.js'

let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-idem-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('idempotency keys', () => {
  it('replaying 50 landed keys gives 50 no-ops returning the original snapshots; the branch does not move', async () => {
    const base = await createBaseRepo(join(dir, `case-${n++}`), 'memory')
    const repo = await openWriter(base.storage)
    try {
      const first: Attempt[] = await runWriters([repo], 50, base.inputs)
      expect(first.every((a) => a.outcome === 'ok' && !a.replay)).toBe(true)
      const head = await repo.resolve('main')
      // the writer runs again over the same inputs and keys: every commit is a replay
      const again: Attempt[] = await runWriters([repo], 50, base.inputs, { round: 'replay-' })
      expect(again).toHaveLength(50)
      for (const [i, a] of again.entries()) {
        expect(a.outcome).toBe('ok')
        expect(a.replay).toBe(true)
        expect(a.snapshot).toBe(first[i].snapshot)
      }
      expect(await repo.resolve('main')).toBe(head)
      for (const a of first.slice(0, 5)) {
        const landed = await repo.log({ idempotencyKey: a.key })
        expect(landed.map((e) => e.snapshot)).toEqual([a.snapshot])
      }
      const result = await checkBranch(base, [...first, ...again])
      expect(result.check.violations).toEqual([])
      expect(result.chain.length).toBe(base.baseIds.length + 50)
      expect(result.rows).toBe(51)
      expect(result.ids).toEqual(expectedIds(first))
    } finally {
      await repo.close()
    }
  }, 60_000)

  it('the same key with different content is a CONFLICT naming the key, and changes nothing', async () => {
    const base = await createBaseRepo(join(dir, `case-${n++}`), 'memory')
    const repo = await openWriter(base.storage)
    try {
      const a = join(base.inputs, 'a.csv')
      const b = join(base.inputs, 'b.csv')
      await writeFile(a, 'id,worker,seq\na,x,1\n')
      await writeFile(b, 'id,worker,seq\nb,x,2\n')
      const landed = await repo.write('events', a, { commit: true, message: 'a', idempotencyKey: 'job-7' })
      const head = await repo.resolve('main')
      const err = await repo.write('events', b, { commit: true, message: 'b', idempotencyKey: 'job-7' }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'CONFLICT' })
      expect((err as Error).message).toContain("'job-7'")
      expect((err as Error).message).toContain(landed.commit!.snapshot.slice(0, 7))
      // another mode with the same input is a different request too
      const err2 = await repo.write('events', a, { mode: 'overwrite', commit: true, message: 'a2', idempotencyKey: 'job-7' }).catch((e: unknown) => e)
      expect(err2).toMatchObject({ code: 'CONFLICT' })
      expect(await repo.resolve('main')).toBe(head)
      expect((await repo.show('main', 'events')).table!.rows).toBe(2)
      // the same request again is still a replay
      const replay = await repo.write('events', a, { commit: true, message: 'again', idempotencyKey: 'job-7' })
      expect(replay.commit).toMatchObject({ snapshot: landed.commit!.snapshot, idempotentReplay: true })
    } finally {
      await repo.close()
    }
  }, 60_000)

  it('a lost response on every first attempt, with the status check failing too: 200 keys give exactly 200 commits', async () => {
    const base = await createBaseRepo(join(dir, `case-${n++}`), 'memory')
    const COMMITS = 200
    // one CAS per landed commit (a replay makes none): every CAS loses its response, and the re-read after it fails
    const faulty = wrapFaulty(base.storage, { lostResponseOnCas: Array.from({ length: COMMITS }, (_, i) => i + 1) })
    const repo = await openWriter(failRefReadsAfterLostResponse(faulty, 1, 1))
    let attempts: Attempt[]
    try {
      attempts = await runWriters([repo], COMMITS, base.inputs)
    } finally {
      await repo.close()
    }
    const counts = countOutcomes(attempts)
    expect(counts).toMatchObject({ ok: COMMITS, unknown: COMMITS, replay: COMMITS, conflict: 0, error: 0 })
    expect(faulty.injected.filter((f) => f.includes('lost-response'))).toHaveLength(COMMITS)
    const result = await checkBranch(base, attempts)
    expect(result.check.violations).toEqual([])
    expect(acknowledgedKeys(attempts).size).toBe(COMMITS)
    expect(result.chain.length).toBe(base.baseIds.length + COMMITS)
    expect(result.rows).toBe(1 + COMMITS)
    expect(result.ids).toEqual(expectedIds(attempts))
    expect(result.problems).toEqual([])
  }, 90_000)

  it('a lost response settled by the status check reports success at once; a retry with the key is a replay', async () => {
    const base = await createBaseRepo(join(dir, `case-${n++}`), 'memory')
    const faulty = wrapFaulty(base.storage, { lostResponseOnCas: [1] })
    const repo = await Repository.fromStorage(sharedStorage(faulty))
    try {
      const csv = join(base.inputs, 'one.csv')
      await writeFile(csv, 'id,worker,seq\none,x,1\n')
      const before = await repo.resolve('main')
      const first = await repo.write('events', csv, { commit: true, message: 'one', idempotencyKey: 'one' })
      expect(faulty.injected).toEqual(['cas#1 lost-response branches/main'])
      expect(first.commit).toMatchObject({ idempotentReplay: false, parents: [before] })
      expect(await repo.resolve('main')).toBe(first.commit!.snapshot)
      const again = await repo.write('events', csv, { commit: true, message: 'one', idempotencyKey: 'one' })
      expect(again.commit).toMatchObject({ snapshot: first.commit!.snapshot, idempotentReplay: true })
      expect(await repo.log({ idempotencyKey: 'one' })).toHaveLength(1)
    } finally {
      await repo.close()
    }
  }, 60_000)

  it('4 writers racing with the same key and content: exactly one commit, every writer gets its snapshot', async () => {
    const base = await createBaseRepo(join(dir, `case-${n++}`), 'memory')
    const repos = await Promise.all(Array.from({ length: 4 }, () => openWriter(base.storage)))
    try {
      const csv = join(base.inputs, 'same.csv')
      await writeFile(csv, 'id,worker,seq\nsame,x,1\n')
      const results = await Promise.all(repos.map((r, i) => r.write('events', csv, { commit: true, message: `racer ${i}`, idempotencyKey: 'task-42' })))
      const snapshots = new Set(results.map((r) => r.commit!.snapshot))
      expect(snapshots.size).toBe(1)
      expect(results.filter((r) => !r.commit!.idempotentReplay)).toHaveLength(1)
      expect(await repos[0].log({ idempotencyKey: 'task-42' })).toHaveLength(1)
      expect((await repos[0].show('main', 'events')).table!.rows).toBe(2)
      // racing with different content under one key: one lands, the others are CONFLICTs
      const inputs = await Promise.all(repos.map(async (_, i) => {
        const path = join(base.inputs, `diff-${i}.csv`)
        await writeFile(path, `id,worker,seq\nd${i},x,${i}\n`)
        return path
      }))
      const settled = await Promise.allSettled(repos.map((r, i) => r.write('events', inputs[i], { commit: true, message: `d${i}`, idempotencyKey: 'task-43' })))
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1)
      for (const s of settled) if (s.status === 'rejected') expect(s.reason).toMatchObject({ code: 'CONFLICT' })
      expect(await repos[0].log({ idempotencyKey: 'task-43' })).toHaveLength(1)
      expect((await repos[0].show('main', 'events')).table!.rows).toBe(3)
    } finally {
      for (const r of repos) await r.close()
    }
  }, 60_000)
})
