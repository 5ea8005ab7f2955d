/**
 * Retention and `dv expire` through the library on a real local store
 * (format-spec/retention.md): which snapshots expire, reads of expired ones
 * fail NOT_FOUND naming the policy, tags and ref targets keep theirs, the
 * idempotency key still answers, the dry run equals the run, gc deletes the
 * data of expired snapshots only, and fsck does not report it missing.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { createMemoryStorage } from '../../src/store/memory.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { useTempDir } from '../support/temp-dir.js'

const DAY = 86_400_000
const tmp = useTempDir('dv-expire-')
const { csv } = tmp

async function rows(repo: Repository, at: string): Promise<string> {
  let text = ''
  await repo.cat('t', new Writable({ write(chunk: Buffer, _e, cb) { text += chunk.toString(); cb() } }), { at })
  return text
}

async function objectIds(root: string): Promise<Set<string>> {
  const out = new Set<string>()
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name))
      else if (/^[0-9a-f]{62,64}$/.test(e.name)) out.add(e.name)
    }
  }
  await walk(join(root, '.dv', 'objects'))
  return out
}

/**
 * main: root -> c1 (day 0, key load-1) -> c2 (day 1, tag v2) -> c3 (day 2, branch pinned) -> c4 (day 10).
 * Each commit overwrites t, so each has data of its own.
 */
async function history(name: string) {
  const root = join(tmp.path, name)
  const clock = { now: Date.parse('2026-03-01T00:00:00Z') }
  const repo = await Repository.init(root, { now: () => clock.now, author: 'ann' })
  const c1 = await repo.write('t', await csv('1,a\n2,b\n'), { commit: true, message: 'one', idempotencyKey: 'load-1' })
  clock.now += DAY
  const c2 = await repo.write('t', await csv('3,c\n'), { commit: true, message: 'two', mode: 'overwrite' })
  await repo.createTag('v2')
  clock.now += DAY
  const c3 = await repo.write('t', await csv('4,d\n'), { commit: true, message: 'three', mode: 'overwrite' })
  await repo.createBranch('pinned')
  clock.now += 8 * DAY
  const c4 = await repo.write('t', await csv('5,e\n'), { commit: true, message: 'four', mode: 'overwrite' })
  const ids = { c1: c1.commit!.snapshot, c2: c2.commit!.snapshot, c3: c3.commit!.snapshot, c4: c4.commit!.snapshot }
  const rootId = (await repo.log()).at(-1)!.snapshot
  return { root, repo, clock, ids, rootId }
}

describe('dv expire', () => {
  it('expires by keep-last, keeps tags and ref targets, refuses reads of expired snapshots, and gc deletes only their data', async () => {
    const { root, repo, ids, rootId } = await history('main')
    await repo.setRetention('main', { keepLast: 1 })
    await repo.setRetention(null, { keepLast: 1 })

    const dry = await repo.expire({ dryRun: true })
    const real = await repo.expire()
    expect(dry.expired.map((e) => e.snapshot)).toEqual([ids.c1, rootId])
    expect({ ...real, dryRun: true, record: null }).toEqual(dry)
    expect(real.record).toMatch(/^[0-9a-f]{64}$/)
    expect(real.expired[0]).toMatchObject({ branch: 'main', keepDays: null, keepLast: 1, policy: 'keep-last=1 on branch main' })
    expect(real.released.objects).toBeGreaterThan(0)

    // reads: the expired commit fails clearly; the tag, the pinned branch and main read
    const e = await catchDvError(() => rows(repo, ids.c1))
    expect(e.code).toBe('NOT_FOUND')
    expect(e.message).toMatch(new RegExp(`^snapshot ${ids.c1.slice(0, 7)}\\w* is expired by retention \\(policy keep-last=1 on branch main, expired at \\d{4}-`))
    expect(e.hint).toMatch(/dv log/)
    expect((await catchDvError(() => rows(repo, 'main~3'))).message).toMatch(/\('main~3'\) is expired by retention/)
    expect(await rows(repo, 'v2')).toBe('id,kind\n3,c\n')
    expect(await rows(repo, 'pinned')).toBe('id,kind\n4,d\n')
    expect(await rows(repo, 'main~1')).toBe('id,kind\n4,d\n')
    expect(await rows(repo, 'main')).toBe('id,kind\n5,e\n')
    // its commit still shows, marked, without its tables; naming a table of it reads it: refused
    const shown = await repo.show(ids.c1)
    expect(shown.commit).toMatchObject({ snapshot: ids.c1, message: 'one', expired: { policy: 'keep-last=1 on branch main' } })
    expect(shown.tables).toEqual({})
    expect((await catchDvError(() => repo.show(ids.c1, 't'))).code).toBe('NOT_FOUND')
    expect((await repo.show('v2')).commit.expired).toBeUndefined()
    // no ref may be pointed at it again
    expect((await catchDvError(() => repo.createBranch('back', ids.c1))).code).toBe('NOT_FOUND')
    expect((await catchDvError(() => repo.reset(ids.c1, { force: true }))).code).toBe('NOT_FOUND')

    // the history stays, with expired commits marked
    const log = await repo.log()
    expect(log.map((l) => [l.message, l.expired?.policy ?? null])).toEqual([
      ['four', null], ['three', null], ['two', null], ['one', 'keep-last=1 on branch main'], [log.at(-1)!.message, 'keep-last=1 on branch main'],
    ])
    // the idempotency key still answers with the original snapshot
    const again = await repo.write('t', join(tmp.path, 'in-1.csv'), { commit: true, message: 'one', idempotencyKey: 'load-1' })
    expect(again.commit?.snapshot).toBe(ids.c1)

    // gc (once the expiry is older than its grace period) deletes what only c1 kept, nothing else
    const before = await objectIds(root)
    const gc = await repo.gc({ graceMs: 0, force: true })
    const after = await objectIds(root)
    const deleted = [...before].filter((id) => !after.has(id))
    expect(deleted.sort()).toEqual(gc.deleted.map((d) => d.id).sort())
    expect(gc.deleted.length).toBe(real.released.objects)
    expect(gc.deletedBytes).toBe(real.released.bytes)
    for (const rev of ['v2', 'pinned', 'main']) expect(await rows(repo, rev)).not.toBe('')
    expect(after.has(ids.c1)).toBe(true) // the commit itself stays

    // fsck: the expired commits are known, their missing data is no problem
    const fsck = await repo.verify({ full: true })
    expect(fsck.problems).toEqual([])
    expect(fsck).toMatchObject({ ok: true, expired: 2 })

    // a second run expires nothing new
    const second = await repo.expire()
    expect(second).toMatchObject({ expired: [], alreadyExpired: 2, record: null })
    await repo.close()
  })

  it('expires by keep-days, never expires what a ref points at, and with no policy expires nothing', async () => {
    const { repo, clock, ids } = await history('days')
    expect(await repo.expire()).toMatchObject({ policies: false, expired: [] })
    await repo.setRetention('main', { keepDays: '5d' })
    clock.now += DAY // c4 is 1 day old, c3 9 days (branch pinned points at it), c2 10 days (tag v2)
    // branch pinned has no policy and there is no default: everything it reaches stays
    expect(await repo.expire({ dryRun: true })).toMatchObject({ policies: true, expired: [] })
    await repo.setRetention(null, { keepDays: 5 })
    const r = await repo.expire()
    expect(r.expired.map((e) => e.snapshot)).toEqual([ids.c1, (await repo.log()).at(-1)!.snapshot])
    expect(r.expired[0]!.policy).toBe('keep-days=5 on branch main')
    await repo.close()
  })

  it('keeps a ref someone points at an expired snapshot, and gc keeps its data', async () => {
    const { repo, ids } = await history('race')
    await repo.setRetention(null, { keepLast: 1 })
    expect((await repo.expire()).expired.map((e) => e.snapshot)).toContain(ids.c1)
    // a writer that resolved c1 before the expiry landed sets its ref after it (the race the grace period covers)
    const storage = (repo as unknown as { storage: { refs: { compareAndSwap(n: string, e: null, s: string): Promise<unknown> } } }).storage
    await storage.refs.compareAndSwap('branches/late', null, ids.c1)
    expect(await rows(repo, 'late')).toBe('id,kind\n1,a\n2,b\n')
    await repo.gc({ graceMs: 0, force: true })
    expect(await rows(repo, ids.c1)).toBe('id,kind\n1,a\n2,b\n')
    expect((await repo.log({ rev: 'late' }))[0]!.expired).toBeUndefined()
    expect((await repo.verify({ full: true })).problems).toEqual([])
    await repo.close()
  })
})

describe('gc honours an expiry only once it is older than the grace period', () => {
  it('keeps the data of a snapshot expired less than a grace period ago, on the store clock, and deletes it later', async () => {
    const clock = { now: Date.parse('2026-03-01T00:00:00Z') }
    const storage = createMemoryStorage({ now: () => clock.now })
    const repo = await Repository.fromStorage(storage, { init: true, author: 'ann', now: () => clock.now })
    const one = await repo.write('t', await csv('1,a\n'), { commit: true, message: 'one' })
    await repo.write('t', await csv('2,b\n'), { commit: true, message: 'two', mode: 'overwrite' })
    clock.now += 3 * DAY
    await repo.setRetention('main', { keepLast: 1 })
    const expired = await repo.expire()
    expect(expired.expired.map((e) => e.snapshot)).toContain(one.commit!.snapshot)
    clock.now += 12 * 3600_000
    expect((await repo.gc()).deleted).toEqual([]) // the data is days old, the expiry only 12 hours
    clock.now += 13 * 3600_000
    const gc = await repo.gc()
    expect(gc.deleted.length).toBe(expired.released.objects)
    expect(gc.deleted.length).toBeGreaterThan(0)
    await repo.close()
  })
})

describe('dv retention set: bad input writes nothing', () => {
  it.each([
    [{ keepDays: 0 }, /invalid --keep-days 0/],
    [{ keepDays: -3 }, /invalid --keep-days -3/],
    [{ keepDays: '1.5' }, /invalid --keep-days "1.5"/],
    [{ keepDays: '7h' }, /retention counts whole days/],
    [{ keepDays: 'soon' }, /invalid --keep-days "soon"/],
    [{ keepLast: '0' }, /invalid --keep-last "0"/],
    [{ keepLast: '3d' }, /invalid --keep-last "3d"/],
    [{}, /needs --keep-days or --keep-last/],
  ])('%o', async (options, message) => {
    const root = join(tmp.path, `bad-${tmp.next()}`)
    const repo = await Repository.init(root, { author: 'ann' })
    const e = await catchDvError(() => repo.setRetention('main', options as never))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(message)
    expect(await repo.retention()).toEqual({ default: null, branches: {} })
    expect((await repo.settingsHistory())).toEqual([])
    await repo.close()
  })

  it('keeps protection when a policy is set, and retention when protection changes', async () => {
    const repo = await Repository.init(join(tmp.path, 'both'), { author: 'ann' })
    await repo.protectBranch('main', { requireChecks: true })
    await repo.setRetention('main', { keepDays: 30, keepLast: '10' })
    await repo.protectBranch('main', { requireChecks: true, requireMerge: true })
    expect(await repo.retention()).toEqual({ default: null, branches: { main: { keepDays: 30, keepLast: 10 } } })
    expect(await repo.protectedBranches()).toEqual({ main: { requireChecks: true, requireMerge: true } })
    expect((await catchDvError(() => repo.setRetention('nope', { keepLast: 1 }))).code).toBe('NOT_FOUND')
    expect((await catchDvError(() => repo.removeRetention(null))).code).toBe('NOT_FOUND')
    await repo.removeRetention('main')
    expect(await repo.retention()).toEqual({ default: null, branches: {} })
    await repo.close()
  })
})
