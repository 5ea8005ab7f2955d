/**
 * `dv gc` through the library (format-spec/gc.md): the grace period on an
 * injected store clock, the dry run equal to the real run, failed reads that
 * delete nothing, staged changes as roots, and the refusals.
 */
import { rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DvError, Repository } from '../../src/index.js'
import { createMemoryStorage, type MemoryStorage } from '../../src/store/memory.js'
import type { Storage } from '../../src/store/types.js'
import { useTempDir } from '../support/temp-dir.js'
import { catchDvError } from '../conformance/storage-conformance.js'

const HOUR = 3600_000
const enc = new TextEncoder()
const tmp = useTempDir('dv-gc-')
const { csv } = tmp

/** A memory repository whose store clock the test moves, with two commits and some unreferenced objects. */
async function memoryRepo(): Promise<{ repo: Repository; storage: MemoryStorage; clock: { now: number }; junk: string[] }> {
  const clock = { now: Date.parse('2026-03-01T00:00:00Z') }
  const storage = createMemoryStorage({ now: () => clock.now })
  const repo = await Repository.fromStorage(storage, { init: true, author: 'ann' })
  await repo.write('t', await csv('1,a\n2,b\n'), { commit: true, message: 'one' })
  await repo.write('t', await csv('3,c\n'), { commit: true, message: 'two', mode: 'overwrite' })
  const junk = [await storage.objects.put(enc.encode('abandoned 1')), await storage.objects.put(enc.encode('abandoned 2'))]
  return { repo, storage, clock, junk }
}

async function allIds(storage: Storage): Promise<string[]> {
  const ids: string[] = []
  for await (const id of storage.objects.list('')) ids.push(id)
  return ids.sort()
}

describe('gc on an injected store clock', () => {
  it('keeps unreferenced objects younger than the grace period, and deletes them once older', async () => {
    const { repo, storage, clock, junk } = await memoryRepo()
    const before = await allIds(storage)
    clock.now += 23 * HOUR
    const early = await repo.gc()
    expect(early.deleted).toEqual([])
    expect(early.young.objects).toBe(2)
    expect(await allIds(storage)).toEqual(before)

    clock.now += 2 * HOUR
    const young = await storage.objects.put(enc.encode('abandoned just now'))
    const late = await repo.gc()
    expect(late.deleted.map((d) => d.id)).toEqual([...junk].sort())
    expect(late.young.objects).toBe(1)
    expect(await storage.objects.has(young)).toBe(true)
    expect(await allIds(storage)).toEqual(before.filter((id) => !junk.includes(id)).concat(young).sort())
    const fsck = await repo.verify()
    expect(fsck.problems).toEqual([])
    expect(fsck.dangling).toBe(1)
    expect((await repo.log()).length).toBe(3)
  })

  it('the dry run lists exactly what the real run then deletes, and deletes nothing itself', async () => {
    const { repo, storage, clock } = await memoryRepo()
    clock.now += 48 * HOUR
    const before = await allIds(storage)
    const dry = await repo.gc({ dryRun: true })
    expect(dry.deleted.length).toBe(2)
    expect(await allIds(storage)).toEqual(before)
    const real = await repo.gc()
    expect(real.deleted).toEqual(dry.deleted)
    expect(real.deletedBytes).toBe(dry.deletedBytes)
    expect(await allIds(storage)).toEqual(before.filter((id) => !dry.deleted.some((d) => d.id === id)))
  })

  it('keeps everything any reflog entry names, a deleted branch included', async () => {
    const { repo, storage, clock } = await memoryRepo()
    await repo.createBranch('side')
    // the branch's commit is only reachable through the reflog of the deleted branch
    const side = (await repo.write('s', await csv('9,z\n'), { commit: true, message: 'side', branch: 'side' })).commit!.snapshot
    await repo.deleteBranch('side')
    clock.now += 48 * HOUR
    await repo.gc()
    expect(await storage.objects.has(side as never)).toBe(true)
    await repo.restoreBranch('side@{1}')
    expect(await repo.resolve('side')).toBe(side)
    expect((await repo.verify()).problems).toEqual([])
  })
})

describe('the re-add race (format-spec/gc.md#writers-refresh-what-they-reuse)', () => {
  it('an old candidate that a writer stores again after the listing, before the sweep, is kept', async () => {
    const { storage, clock, junk } = await memoryRepo()
    clock.now += 48 * HOUR
    const sweep = storage.objects.sweep!.bind(storage.objects)
    // between gc's listing and its sweep, a writer puts the same bytes again (finds them stored, relies on them)
    const racing: Storage = { ...storage, objects: { ...storage.objects, sweep: async (ids, cutoffMs) => {
      expect(ids).toContain(junk[0])
      await storage.objects.put(enc.encode('abandoned 1'))
      return sweep(ids, cutoffMs)
    } } }
    const repo = await Repository.fromStorage(racing, { author: 'ann' })
    const result = await repo.gc()
    expect(result.refreshed).toBe(1)
    expect(result.deleted.map((d) => d.id)).toEqual([junk[1]])
    expect(await storage.objects.get(junk[0] as never)).toEqual(enc.encode('abandoned 1'))
  })
})

describe('an interrupted gc (format-spec/gc.md#sweep)', () => {
  it('stops between batches of the sweep; the next run deletes the rest and the history verifies', async () => {
    const { storage, clock, junk } = await memoryRepo()
    const more = await Promise.all(Array.from({ length: 2500 }, (_, i) => storage.objects.put(enc.encode(`abandoned #${i}`))))
    clock.now += 48 * HOUR
    const controller = new AbortController()
    const batches: number[] = []
    const sweep = storage.objects.sweep!.bind(storage.objects)
    const interrupted: Storage = { ...storage, objects: { ...storage.objects, sweep: async (ids, cutoffMs) => {
      batches.push(ids.length)
      const out = await sweep(ids, cutoffMs)
      controller.abort(new Error('Ctrl-C'))
      return out
    } } }
    const repo = await Repository.fromStorage(interrupted, { author: 'ann' })
    await expect(repo.gc({ signal: controller.signal })).rejects.toThrow('Ctrl-C')
    expect(batches).toEqual([1000])
    // the first batch of the 2,502 abandoned objects is gone, the rest is there
    expect((await Promise.all([...more, ...junk].map((id) => storage.objects.has(id as never)))).filter(Boolean)).toHaveLength(1502)
    const rest = await Repository.fromStorage(storage, { author: 'ann' }).then((r) => r.gc())
    expect(rest.deleted).toHaveLength(2502 - 1000)
    expect((await Repository.fromStorage(storage, { author: 'ann' }).then((r) => r.verify())).problems).toEqual([])
  })

  it('an aborted signal stops gc before it reads anything', async () => {
    const { repo, storage, clock } = await memoryRepo()
    clock.now += 48 * HOUR
    const before = await allIds(storage)
    await expect(repo.gc({ signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop')
    expect(await allIds(storage)).toEqual(before)
  })
})

describe('gc deletes nothing when a read fails', () => {
  function failing(storage: MemoryStorage, what: 'refs' | 'reflog' | 'object'): Storage {
    const boom = () => Promise.reject(new DvError('STORAGE', `injected ${what} read failure`))
    return {
      ...storage,
      refs: what === 'refs' ? { ...storage.refs, list: boom, get: storage.refs.get, compareAndSwap: storage.refs.compareAndSwap } : storage.refs,
      reflog: what === 'reflog' ? { ...storage.reflog, read: boom } : storage.reflog,
      objects: what === 'object' ? { ...storage.objects, get: boom } : storage.objects,
    }
  }

  it.each(['refs', 'reflog', 'object'] as const)('a failing %s read fails gc with that error and deletes nothing', async (what) => {
    const { storage, clock } = await memoryRepo()
    clock.now += 48 * HOUR
    const before = await allIds(storage)
    const broken = await Repository.fromStorage(failing(storage, what), { author: 'ann' })
    const e = await catchDvError(() => broken.gc())
    expect(e.code).toBe('STORAGE')
    expect(e.message).toContain(`injected ${what} read failure`)
    expect(await allIds(storage)).toEqual(before)
  })

  it('a missing reachable object fails gc as CORRUPT, and nothing is deleted', async () => {
    const { repo, storage, clock } = await memoryRepo()
    clock.now += 48 * HOUR
    const head = await repo.resolve('main')
    await storage.objects.delete(head as never)
    const before = await allIds(storage)
    // a fresh process: nothing parsed in memory yet
    const fresh = await Repository.fromStorage(storage, { author: 'ann' })
    const e = await catchDvError(() => fresh.gc())
    expect(e.code).toBe('CORRUPT')
    expect(e.message).toContain(head.slice(0, 12))
    expect(await allIds(storage)).toEqual(before)
  })
})

describe('gc refusals', () => {
  it('refuses a grace period under 1h without force (INVALID_ARGUMENT), deleting nothing', async () => {
    const { repo, storage, clock } = await memoryRepo()
    clock.now += 48 * HOUR
    const before = await allIds(storage)
    const e = await catchDvError(() => repo.gc({ graceMs: 30 * 60_000 }))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toContain('30m')
    expect(e.hint).toContain('--force')
    expect(await allIds(storage)).toEqual(before)
    expect((await repo.gc({ graceMs: 30 * 60_000, force: true })).deleted.length).toBe(2)
  })
})

describe('gc in a local workspace', () => {
  it('keeps the objects of a staged change (even with no grace period at all), which then commits', async () => {
    const repo = await Repository.init(join(tmp.path, 'staged'), { author: 'ann' })
    await repo.write('t', await csv('1,a\n'), { commit: true, message: 'one' })
    await repo.write('t', await csv('2,b\n'))
    await repo.write('u', await csv('3,c\n'), { branch: 'main' })
    const result = await repo.gc({ graceMs: 0, force: true })
    expect(result.mark.stagedChanges).toBeGreaterThanOrEqual(2)
    expect(result.deleted).toEqual([])
    const commit = await repo.commit({ message: 'after gc' })
    expect(commit.snapshot).toMatch(/^[0-9a-f]{64}$/)
    expect((await repo.verify()).problems).toEqual([])
    const rows: number[] = []
    for await (const b of repo.scan('t')) rows.push(b.numRows)
    expect(rows.reduce((a, b) => a + b, 0)).toBe(2)
    await repo.close()
  })

  it('deletes the data of an unstaged change once old, and keeps the committed history readable', async () => {
    const repo = await Repository.init(join(tmp.path, 'unstaged'), { author: 'ann' })
    await repo.write('t', await csv('1,a\n'), { commit: true, message: 'one' })
    const staged = await repo.write('t', await csv('2,b\n'))
    await repo.unstage()
    const dry = await repo.gc({ graceMs: 0, force: true, dryRun: true })
    expect(dry.deleted.length).toBeGreaterThan(0)
    const real = await repo.gc({ graceMs: 0, force: true })
    expect(real.deleted).toEqual(dry.deleted)
    expect(staged.staged).toBeDefined()
    const fsck = await repo.verify()
    expect(fsck.problems).toEqual([])
    expect(fsck.dangling).toBe(0)
    await repo.close()
  })

  it('refuses while a ref lock older than a minute exists (CONFLICT naming it), deleting nothing', async () => {
    const repo = await Repository.init(join(tmp.path, 'locked'), { author: 'ann' })
    await repo.write('t', await csv('1,a\n'))
    await repo.unstage()
    const lock = join(tmp.path, 'locked', '.dv', 'refs', 'branches', 'main.lock')
    await writeFile(lock, '')
    const old = new Date(Date.now() - 5 * 60_000)
    await utimes(lock, old, old)
    const e = await catchDvError(() => repo.gc({ graceMs: 0, force: true }))
    expect(e.code).toBe('CONFLICT')
    expect(e.message).toContain(lock)
    expect(e.hint).toContain('remove')
    await rm(lock)
    expect((await repo.gc({ graceMs: 0, force: true })).deleted.length).toBeGreaterThan(0)
    await repo.close()
  })
})
