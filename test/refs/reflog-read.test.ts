/**
 * Writing and reading the reflog (format-spec/reflog.md) at the refs layer,
 * on the memory store with entries written as updateRef writes them: what an
 * entry records (host, first line of the message), reading a page at a time
 * only as far as the chain needs (counted reads), a damaged or misfiled entry
 * named with the way forward, which ref a name reads, and the errors of
 * NAME@{N} beyond the log or at a deletion.
 */
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { serializeReflogEntry } from '../../src/format/index.js'
import { showReflog } from '../../src/refs/reflog-show.js'
import { readReflog, reflogRefOf, reflogValue, updateRef, type ReflogContext } from '../../src/refs/reflog.js'
import { createMemoryStorage } from '../../src/store/index.js'
import type { Storage } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'

const T0 = Date.UTC(2026, 8, 1)
const id = (n: number) => n.toString(16).padStart(64, '0') as SnapshotId

/** Appends an entry of `ref` moving it from `old` to `next`, at T0 + i seconds, without touching the ref (an update that did or did not land). */
async function entry(storage: Storage, ref: string, old: number | null, next: number | null, i: number, message = `step ${i}`): Promise<string> {
  return storage.reflog.append(ref, T0 + i * 1000, serializeReflogEntry({
    ref, old: old === null ? null : id(old), new: next === null ? null : id(next), timeMs: T0 + i * 1000, user: 'ann', host: 'h', message,
  }))
}

/** The store with reflog reads counted. */
function counted(storage: Storage): { storage: Storage; reads: () => number } {
  let n = 0
  return {
    storage: { ...storage, reflog: { ...storage.reflog, read: (ref, key) => { n++; return storage.reflog.read(ref, key) } } },
    reads: () => n,
  }
}

describe('updateRef records', () => {
  it('the first line of the message, trimmed ("update" when empty), the author and this host', async () => {
    const storage = createMemoryStorage()
    const ctx: ReflogContext = { storage, now: () => T0, author: 'ann <ann@example.com>' }
    await updateRef(ctx, { ref: 'tags/t', expected: null, next: id(1), message: '  make t  \nwith a body' })
    await updateRef(ctx, { ref: 'tags/t', expected: (await storage.refs.get('tags/t'))!, next: id(2), message: '\nonly a body' })
    await updateRef(ctx, { ref: 'tags/t', expected: (await storage.refs.get('tags/t'))!, next: id(3), message: '   ' })
    const log = await readReflog(storage, 'tags/t')
    expect(log.items.map((i) => [i.value, i.entry!.old, i.entry!.message, i.entry!.user, i.entry!.host])).toEqual([
      [id(3), id(2), 'update', 'ann <ann@example.com>', hostname()],
      [id(2), id(1), 'update', 'ann <ann@example.com>', hostname()],
      [id(1), null, 'make t', 'ann <ann@example.com>', hostname()],
    ])
    // one process, a clock that stands still: the entries still get increasing times, from the clock on
    const [t1, t2, t3] = log.items.map((i) => i.entry!.timeMs).reverse()
    expect(t1).toBeGreaterThanOrEqual(T0)
    expect(t2).toBeGreaterThan(t1!)
    expect(t3).toBeGreaterThan(t2!)
  })
})

describe('readReflog', () => {
  it('reads entries a page at a time from the newest, only as far as a limit needs, and says whether it is the whole log', async () => {
    const base = createMemoryStorage()
    await entry(base, 'tags/t', null, 1, 1)
    for (let i = 2; i <= 40; i++) await entry(base, 'tags/t', i - 1, i, i)
    await base.refs.compareAndSwap('tags/t', null, id(40))
    const { storage, reads } = counted(base)

    const one = await readReflog(storage, 'tags/t', 1)
    expect([one.items.map((i) => i.value), one.stored, one.complete, one.current, reads()]).toEqual([[id(40)], 40, false, id(40), 2])
    const four = await readReflog(storage, 'tags/t', 4)
    expect([four.items.map((i) => i.value), four.complete, reads()]).toEqual([[id(40), id(39), id(38), id(37)], false, 2 + 5])
    const five = await readReflog(storage, 'tags/t', 5)
    expect([five.items.map((i) => i.index), five.complete, reads()]).toEqual([[0, 1, 2, 3, 4], false, 7 + 6])
    const all = await readReflog(storage, 'tags/t')
    expect([all.items.length, all.items.at(-1)!.value, all.items.at(-1)!.entry!.old, all.complete, reads()]).toEqual([40, id(1), null, true, 13 + 40])
    const exact = await readReflog(storage, 'tags/t', 40)
    expect([exact.items.length, exact.complete]).toEqual([40, false])
  })

  it('reads the next page only for what is still wanted when entries off the chain fill the first', async () => {
    const base = createMemoryStorage()
    // the chain 1 -> 2 -> 1 (A -> B -> A), with updates that never landed before, between and after
    await entry(base, 'tags/t', null, 1, 1)
    for (let i = 2; i <= 4; i++) await entry(base, 'tags/t', 1, 9, i, 'lost')
    await entry(base, 'tags/t', 1, 2, 5)
    await entry(base, 'tags/t', 2, 1, 6)
    for (let i = 7; i <= 9; i++) await entry(base, 'tags/t', 1, 8, i, 'lost')
    await base.refs.compareAndSwap('tags/t', null, id(1))
    const { storage, reads } = counted(base)
    const log = await readReflog(storage, 'tags/t', 3)
    // page 1: the 3 lost and step 6; page 2 (2 wanted): step 5 and two lost; page 3 (1 wanted): a lost one and step 1
    expect(log.items.map((i) => [i.index, i.value, i.entry!.old, i.entry!.message])).toEqual([
      [0, id(1), id(2), 'step 6'],
      [1, id(2), id(1), 'step 5'],
      [2, id(1), null, 'step 1'],
    ])
    expect([log.complete, log.stored, reads()]).toEqual([false, 9, 4 + 3 + 2])
    const whole = await readReflog(storage, 'tags/t')
    expect([whole.items.map((i) => i.entry?.message), whole.complete]).toEqual([['step 6', 'step 5', 'step 1'], true])
  })

  it('stops reading once the chain is found, even with entries off the chain left unread', async () => {
    const base = createMemoryStorage()
    // oldest first: 3 lost updates, the chain null -> 1, a lost one, 1 -> 2 -> 1, then 3 lost updates
    for (let i = 1; i <= 3; i++) await entry(base, 'tags/t', 5, 9, i, 'lost')
    await entry(base, 'tags/t', null, 1, 4)
    await entry(base, 'tags/t', 1, 9, 5, 'lost')
    await entry(base, 'tags/t', 1, 2, 6)
    await entry(base, 'tags/t', 2, 1, 7)
    for (let i = 8; i <= 10; i++) await entry(base, 'tags/t', 1, 8, i, 'lost')
    await base.refs.compareAndSwap('tags/t', null, id(1))
    const { storage, reads } = counted(base)
    const log = await readReflog(storage, 'tags/t', 3)
    // page 1 (3 wanted, one more): the lost 10, 9, 8 and step 7; page 2 (2 wanted, one more): step 6, lost 5, step 4
    expect(log.items.map((i) => i.entry!.message)).toEqual(['step 7', 'step 6', 'step 4'])
    expect([log.complete, reads()]).toEqual([false, 4 + 3])
  })

  it('passes an entry of a newer format through as UNSUPPORTED', async () => {
    const storage = createMemoryStorage()
    const bytes = new TextDecoder().decode(serializeReflogEntry({ ref: 'tags/t', old: null, new: id(1), timeMs: T0, user: 'ann', host: 'h', message: 'x' }))
    await storage.reflog.append('tags/t', T0, new TextEncoder().encode(bytes.replace('dv:reflog:v1', 'dv:reflog:v2')))
    await storage.refs.compareAndSwap('tags/t', null, id(1))
    const e = await catchDvError(() => readReflog(storage, 'tags/t'))
    expect([e.code, e.hint]).toEqual(['UNSUPPORTED', expect.not.stringContaining('the entry is damaged')])
  })

  it('names a damaged entry and an entry of another ref, with the way forward', async () => {
    const storage = createMemoryStorage()
    await entry(storage, 'tags/t', null, 1, 1)
    const bad = await storage.reflog.append('tags/t', T0 + 2000, new TextEncoder().encode('{"not":"an entry"}'))
    await storage.refs.compareAndSwap('tags/t', null, id(2))
    const damaged = await catchDvError(() => readReflog(storage, 'tags/t'))
    expect({ code: damaged.code, hint: damaged.hint, details: damaged.details }).toEqual({
      code: 'CORRUPT', hint: "the entry is damaged; remove it from the reflog of 'tags/t' to read the rest", details: { ref: 'tags/t', key: bad },
    })
    expect(damaged.message).toMatch(new RegExp(`^reflog entry ${bad} of 'tags/t'`))
    expect(damaged.cause).toBeDefined()

    const other = createMemoryStorage()
    const misfiled = await other.reflog.append('tags/u', T0, serializeReflogEntry({ ref: 'tags/t', old: null, new: id(1), timeMs: T0, user: 'ann', host: 'h', message: 'x' }))
    await other.refs.compareAndSwap('tags/u', null, id(1))
    const wrong = await catchDvError(() => readReflog(other, 'tags/u'))
    expect({ code: wrong.code, message: wrong.message, hint: wrong.hint, details: wrong.details }).toEqual({
      code: 'CORRUPT', message: `reflog entry ${misfiled} of 'tags/u' is corrupt: it records ref 'tags/t'`,
      hint: "the entry was copied into the wrong log; remove it from the reflog of 'tags/u'", details: { ref: 'tags/u', key: misfiled },
    })
  })
})

describe('reflogRefOf and showReflog', () => {
  it('reads HEAD as its branch, qualified names as written, a bare name as the branch, else the tag, else the one with a log', async () => {
    const storage = createMemoryStorage()
    const main = async () => 'main'
    expect(await reflogRefOf(storage, 'HEAD', main)).toBe('branches/main')
    expect(await reflogRefOf(storage, '@', async () => 'dev')).toBe('branches/dev')
    expect(await reflogRefOf(storage, 'branches/nope', main)).toBe('branches/nope')
    expect(await reflogRefOf(storage, 'tags/nope', main)).toBe('tags/nope')
    await storage.refs.compareAndSwap('tags/both', null, id(1))
    expect(await reflogRefOf(storage, 'both', main)).toBe('tags/both')
    await storage.refs.compareAndSwap('branches/both', null, id(2))
    expect(await reflogRefOf(storage, 'both', main)).toBe('branches/both')
    await entry(storage, 'tags/gone', null, 1, 1)
    expect(await reflogRefOf(storage, 'gone', main)).toBe('tags/gone')
    await entry(storage, 'branches/gone', null, 1, 2)
    expect(await reflogRefOf(storage, 'gone', main)).toBe('branches/gone')
    const none = await catchDvError(() => reflogRefOf(storage, 'nope', main))
    expect({ code: none.code, message: none.message, hint: none.hint }).toEqual({
      code: 'NOT_FOUND', message: "no branch or tag 'nope', and no reflog of one", hint: 'see `dv branch --list` and `dv tag --list`',
    })
    for (const name of ['HEAD', '@']) {
      const detached = await catchDvError(() => reflogRefOf(storage, name, async () => null))
      expect({ code: detached.code, message: detached.message, hint: detached.hint }).toEqual({
        code: 'INVALID_ARGUMENT', message: 'HEAD is detached: it has no reflog of its own', hint: 'name a branch (main@{1}); dv logs branch and tag updates, not checkouts',
      })
    }
  })

  it('shows a tag by its name and each line by its selector', async () => {
    const storage = createMemoryStorage()
    await entry(storage, 'tags/v1', null, 1, 1, 'tag: created at HEAD')
    await storage.refs.compareAndSwap('tags/v1', null, id(1))
    const shown = await showReflog(storage, 'tags/v1', async () => 'main')
    expect(shown).toEqual({
      ref: 'tags/v1', name: 'v1', current: id(1),
      entries: [{ selector: 'v1@{0}', index: 0, snapshot: id(1), previous: null, time: new Date(T0 + 1000).toISOString(), user: 'ann', host: 'h', message: 'tag: created at HEAD' }],
    })
    expect((await showReflog(storage, 'v1', async () => 'main')).name).toBe('v1')
  })
})

describe('reflogValue', () => {
  it('names the length of the log beyond it, and the entry that deleted the ref', async () => {
    const storage = createMemoryStorage()
    const beyond = async (ref: string, n: number, rev: string) => {
      const e = await catchDvError(() => reflogValue(storage, ref, n, rev))
      return { code: e.code, message: e.message, hint: e.hint, details: e.details }
    }
    expect(await beyond('tags/v1', 0, 'v1@{0}')).toEqual({
      code: 'NOT_FOUND', message: "revision 'v1@{0}' is beyond the reflog of 'v1': it has 0 entries", hint: 'see `dv reflog v1`', details: { ref: 'tags/v1', entries: 0 },
    })
    await entry(storage, 'tags/v1', null, 1, 1)
    await storage.refs.compareAndSwap('tags/v1', null, id(1))
    expect(await reflogValue(storage, 'tags/v1', 0, 'v1@{0}')).toBe(id(1))
    expect(await beyond('tags/v1', 1, 'v1@{1}')).toEqual({
      code: 'NOT_FOUND', message: "revision 'v1@{1}' is beyond the reflog of 'v1': it has 1 entry (v1@{0} to v1@{0})", hint: 'see `dv reflog v1`', details: { ref: 'tags/v1', entries: 1 },
    })
    await entry(storage, 'branches/gone', null, 1, 2)
    await entry(storage, 'branches/gone', 1, 2, 3)
    await entry(storage, 'branches/gone', 2, null, 4)
    expect(await beyond('branches/gone', 3, 'gone@{3}')).toMatchObject({ message: "revision 'gone@{3}' is beyond the reflog of 'gone': it has 3 entries (gone@{0} to gone@{2})" })
    expect(await reflogValue(storage, 'branches/gone', 2, 'gone@{2}')).toBe(id(1))
    expect(await beyond('branches/gone', 0, 'gone@{0}')).toEqual({
      code: 'NOT_FOUND', message: "revision 'gone@{0}' names a deletion: 'gone' did not exist after that update",
      hint: 'see `dv reflog gone`; gone@{1} is the value it was deleted at', details: { ref: 'branches/gone', index: 0 },
    })
    expect(await beyond('settings', 0, 'settings@{0}')).toMatchObject({ message: "revision 'settings@{0}' is beyond the reflog of 'settings': it has 0 entries" })
  })
})
