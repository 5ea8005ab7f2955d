/**
 * The reflog (format-spec/reflog.md) through the library on the memory
 * store: every ref update dv makes is logged, the log is reconciled against
 * the ref (entries of updates that never landed are left out), NAME@{N}
 * resolves through it, and `restoreBranch` undoes deletions and moves.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import { createMemoryStorage, wrapFaulty, type FaultPlan } from '../../src/store/index.js'
import type { Storage } from '../../src/store/types.js'
import { sharedStorage } from '../concurrency/setup.js'

const T0 = Date.UTC(2026, 2, 1)

/** A repository on a memory store whose clock stands still: entries of one process must still keep their order. */
async function open(storage: Storage = createMemoryStorage(), init = true): Promise<{ repo: Repository; storage: Storage }> {
  const repo = await Repository.fromStorage(sharedStorage(storage), { init, now: () => T0, author: 'ann' })
  return { repo, storage }
}

async function commit(repo: Repository, message: string, branch?: string): Promise<string> {
  return (await repo.commit({ message, allowEmpty: true, ...(branch ? { branch } : {}) })).snapshot
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

describe('recording', () => {
  it('logs init, commits, group commits, branch and tag create/delete, newest first, with user and host', async () => {
    const { repo } = await open()
    const root = await repo.resolve('main')
    const c1 = await commit(repo, 'load march\n\nwith a body')
    await Promise.all(['a', 'b', 'c', 'd'].map((m) => commit(repo, m))) // the first lands alone, the others wait and land as one group
    const c3 = await repo.resolve('main')
    await repo.createBranch('feature', c1)
    await repo.createTag('v1')
    await repo.deleteTag('v1')
    await repo.deleteBranch('feature')

    const main = await repo.reflog('main')
    expect(main).toMatchObject({ ref: 'branches/main', name: 'main', current: c3 })
    const groups = main.entries.slice(0, -2)
    expect(groups.length).toBeLessThan(4)
    expect(groups.map((e) => e.message)).toContainEqual(expect.stringMatching(/^commit \(\d commits\): [abcd]$/))
    expect(groups[0]!.snapshot).toBe(c3)
    expect(groups.at(-1)!.previous).toBe(c1)
    expect(main.entries.slice(-2).map((e) => [e.selector, e.snapshot, e.previous, e.message])).toEqual([
      [`main@{${groups.length}}`, c1, root, 'commit: load march'],
      [`main@{${groups.length + 1}}`, root, null, 'init'],
    ])
    expect(main.entries.at(-1)).toMatchObject({ user: 'ann', host: expect.any(String), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) })
    // the clock's time, or later: entry times only increase within a process, and the mutation
    // runs (vitest.mutate.config.ts, isolate: false) share it with suites on the real clock
    expect(Date.parse(main.entries.at(-1)!.time!)).toBeGreaterThanOrEqual(T0)

    const feature = await repo.reflog('feature')
    expect(feature.current).toBeNull()
    expect(feature.entries.map((e) => [e.selector, e.snapshot, e.message])).toEqual([
      ['feature@{0}', null, 'branch -d'],
      ['feature@{1}', c1, `branch: created from ${c1}`],
    ])
    expect((await repo.reflog('tags/v1')).entries.map((e) => [e.snapshot, e.message])).toEqual([[null, 'tag -d'], [c3, 'tag: created at HEAD']])
    expect((await repo.reflog('main', { limit: 1 })).entries).toHaveLength(1)
    await repo.close()
  })

  it('a refused branch creation writes no entry; an unknown name is NOT_FOUND', async () => {
    const { repo, storage } = await open()
    await repo.createBranch('dup')
    const before = await storage.reflog.list('branches/dup')
    expect((await failure(repo.createBranch('dup'))).code).toBe('CONFLICT')
    expect(await storage.reflog.list('branches/dup')).toEqual(before)
    expect((await failure(repo.reflog('nope'))).code).toBe('NOT_FOUND')
    await repo.close()
  })

  it('only refs/reflog.ts swaps refs: every update outside the store goes through updateRef', () => {
    const src = join(import.meta.dirname, '../../src')
    const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.startsWith('store'))
    const swapping = files.filter((f) => /\.compareAndSwap\(/.test(readFileSync(join(src, f), 'utf8')))
    expect(swapping).toEqual([join('refs', 'reflog.ts')])
  })
})

describe('reconciling the log with the ref', () => {
  async function faulty(plan: FaultPlan) {
    const inner = createMemoryStorage()
    await (await open(inner)).repo.close()
    const storage = wrapFaulty(inner, plan)
    const repo = await Repository.fromStorage(sharedStorage(storage), { now: () => T0, author: 'ann', retry: { attempts: 3, startingDelayMs: 1, maxDelayMs: 2 } })
    return { repo, inner }
  }

  it('leaves out the entry of a swap that lost its race, and keeps the retry that landed', async () => {
    const { repo, inner } = await faulty({ conflictOnCas: [1] })
    const landed = await commit(repo, 'second try')
    expect(await inner.reflog.list('branches/main')).toHaveLength(3) // init, the lost attempt, the landed one
    const log = await repo.reflog('main')
    expect(log.entries.map((e) => [e.snapshot, e.message])).toEqual([[landed, 'commit: second try'], [expect.any(String), 'init']])
    await repo.close()
  })

  it('keeps the entry of a swap whose answer was lost (it landed)', async () => {
    const { repo, inner } = await faulty({ lostResponseOnCas: [1] })
    const landed = await commit(repo, 'answer lost')
    expect(await inner.reflog.list('branches/main')).toHaveLength(2)
    expect((await repo.reflog('main')).entries[0]).toMatchObject({ snapshot: landed, message: 'commit: answer lost' })
    await repo.close()
  })

  it('a reflog append that fails stops the update before the swap: nothing changes', async () => {
    const { repo, inner } = await faulty({ failReflogAppend: [1] })
    const head = await repo.resolve('main')
    expect((await failure(commit(repo, 'no log, no commit'))).code).toBe('STORAGE')
    expect((await inner.refs.get('branches/main'))?.snapshot).toBe(head)
    expect(await inner.reflog.list('branches/main')).toHaveLength(1) // init only
    await repo.createBranch('x') // the next append works
    expect((await repo.reflog('x')).entries).toHaveLength(1)
    await repo.close()
  })
})

describe('NAME@{N}', () => {
  it('resolves the N-th previous value, also through A -> B -> A and after a deletion; beyond the log is NOT_FOUND naming its length', async () => {
    const { repo } = await open()
    const root = await repo.resolve('main')
    const a = await commit(repo, 'a')
    const b = await commit(repo, 'b')
    await repo.restoreBranch('main@{1}', { force: true }) // main: root -> a -> b -> a, all in one millisecond of the clock
    await repo.restoreBranch('main@{1}') // forward to b again
    expect(await Promise.all([0, 1, 2, 3, 4].map((n) => repo.resolve(`main@{${n}}`)))).toEqual([b, a, b, a, root])
    expect(await repo.resolve('main@{1}~1')).toBe(root)
    expect(await repo.resolve('HEAD@{2}')).toBe(b) // without a workspace HEAD is main
    const beyond = await failure(repo.resolve('main@{5}'))
    expect(beyond.code).toBe('NOT_FOUND')
    expect(beyond.message).toMatch(/beyond the reflog of 'main': it has 5 entries \(main@\{0\} to main@\{4\}\)/)
    expect((await failure(repo.resolve('main~1@{1}'))).code).toBe('INVALID_ARGUMENT')

    await repo.createBranch('gone', a)
    await repo.deleteBranch('gone')
    const deleted = await failure(repo.resolve('gone@{0}'))
    expect(deleted.code).toBe('NOT_FOUND')
    expect(deleted.message).toMatch(/names a deletion/)
    expect(await repo.resolve('gone@{1}')).toBe(a)
    await repo.close()
  })

  it('a ref older than its log (no entries, or updated without logging) shows its earlier value as one more line', async () => {
    const { repo, storage } = await open()
    const root = await repo.resolve('main')
    await storage.refs.compareAndSwap('branches/old', null, root as never) // as a dv without reflog would have made it
    expect((await repo.reflog('old')).entries).toEqual([expect.objectContaining({ selector: 'old@{0}', snapshot: root, time: null, message: '(before the oldest logged update)' })])
    expect(await repo.resolve('old@{0}')).toBe(root)
    const next = await commit(repo, 'logged', 'old')
    expect(await repo.resolve('old@{1}')).toBe(root)
    expect((await repo.reflog('old')).entries.map((e) => e.snapshot)).toEqual([next, root])
    await repo.close()
  })
})

describe('restoreBranch', () => {
  it('re-creates a deleted branch at its exact head, and moves a branch back only when that drops nothing (or with force)', async () => {
    const { repo } = await open()
    await repo.createBranch('feature')
    await commit(repo, 'f1', 'feature')
    const head = await commit(repo, 'f2', 'feature')
    await repo.deleteBranch('feature')
    expect(await repo.restoreBranch('feature@{1}')).toMatchObject({ branch: 'feature', snapshot: head, previous: null, created: true })
    expect(await repo.resolve('feature')).toBe(head)
    expect((await repo.reflog('feature')).entries[0]!.message).toBe('branch restore feature@{1}')

    const newer = await commit(repo, 'f3', 'feature')
    expect((await failure(repo.restoreBranch('feature@{2}'))).code).toBe('NOT_FOUND') // feature@{2} is the deletion
    const dropping = await failure(repo.restoreBranch('feature@{1}')) // back to f2 would drop f3
    expect(dropping).toMatchObject({ code: 'CONFLICT', details: { dropped: 1 } })
    expect(await repo.resolve('feature')).toBe(newer)
    expect(await repo.restoreBranch('feature@{1}', { force: true })).toMatchObject({ snapshot: head, previous: newer, dropped: 1 })
    expect(await repo.restoreBranch('feature@{1}')).toMatchObject({ snapshot: newer, dropped: 0 }) // forward again: nothing dropped
    for (const bad of ['feature', 'feature~1', 'HEAD@{1}', 'feature@{1}~1']) expect((await failure(repo.restoreBranch(bad))).code, bad).toBe('INVALID_ARGUMENT')
    await repo.close()
  })
})
