/**
 * Resolving names and prefixes (format-spec/rev-syntax.md): a branch and a
 * tag with one name are ambiguous (never the branch silently), the qualified
 * spellings pick one; prefix lookups read only objects with that prefix, so a
 * damaged head does not hide an intact older snapshot, and an unreadable
 * object with the prefix still makes a prefix ambiguous.
 */
import { describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import type { ObjectId } from '../../src/ids.js'
import { createMemoryStorage } from '../../src/store/memory.js'
import { wrapCounting } from '../../src/store/index.js'
import { catchDvError } from '../conformance/storage-conformance.js'

async function fresh() {
  const storage = createMemoryStorage()
  let t = Date.UTC(2026, 0, 1)
  const repo = await Repository.fromStorage(storage, { init: true, now: () => (t += 1000), author: 'test' })
  return { storage, repo }
}

describe('a branch and a tag with the same name', () => {
  it('is an ambiguity error naming both qualified spellings, which each resolve', async () => {
    const { repo } = await fresh()
    const first = await repo.commit({ message: 'one', allowEmpty: true })
    await repo.createTag('v1')
    const second = await repo.commit({ message: 'two', allowEmpty: true })
    await repo.createBranch('v1')
    const err = await catchDvError(() => repo.resolve('v1'))
    expect(err.code).toBe('INVALID_ARGUMENT')
    expect(err.message).toMatch(/'v1' is ambiguous: it names branch 'v1' and tag 'v1'/)
    expect(err.hint).toMatch(/'branches\/v1' or 'tags\/v1'/)
    expect(err.details).toEqual({ candidates: ['branches/v1', 'tags/v1'] })
    expect((await catchDvError(() => repo.resolve('v1~1'))).code).toBe('INVALID_ARGUMENT')
    expect(await repo.resolve('branches/v1')).toBe(second.snapshot)
    expect(await repo.resolve('tags/v1')).toBe(first.snapshot)
    expect(await repo.resolve('tags/v1~1')).not.toBe(first.snapshot)
    expect(await repo.resolve('branches/main')).toBe(second.snapshot)
    await repo.close()
  })

  it('refuses new branch and tag names that start with a qualifier', async () => {
    const { repo } = await fresh()
    for (const name of ['tags/x', 'branches/y']) {
      expect((await catchDvError(() => repo.createBranch(name))).code, name).toBe('INVALID_ARGUMENT')
      expect((await catchDvError(() => repo.createTag(name))).code, name).toBe('INVALID_ARGUMENT')
    }
    await repo.close()
  })
})

describe('qualified spellings', () => {
  it('look up only a name a ref may have, and only after the qualifier itself', async () => {
    const { storage, repo } = await fresh()
    const first = await repo.commit({ message: 'one', allowEmpty: true })
    await repo.createBranch('dev')
    // a ref dv would refuse to create (another tool wrote it): its qualified spelling names nothing
    await storage.refs.compareAndSwap('branches/a..b', null, first.snapshot as never)
    const refused = await catchDvError(() => repo.resolve('branches/a..b'))
    expect([refused.code, refused.message]).toEqual(['NOT_FOUND', "unknown revision 'branches/a..b': no branch, tag or snapshot is named 'branches/a..b'"])
    // nine characters and a branch name are not `branches/` and that name
    const other = await catchDvError(() => repo.resolve('123456789dev'))
    expect([other.code, other.message]).toEqual(['NOT_FOUND', "unknown revision '123456789dev': no branch, tag or snapshot is named '123456789dev'"])
    expect(await repo.resolve('branches/dev')).toBe(first.snapshot)
    await repo.close()
  })
})

describe('snapshot prefixes', () => {
  it('resolve an intact older snapshot when the branch head is corrupt or missing', async () => {
    const { storage, repo } = await fresh()
    const older = await repo.commit({ message: 'older', allowEmpty: true })
    const head = await repo.commit({ message: 'head', allowEmpty: true })
    expect(older.snapshot.slice(0, 6)).not.toBe(head.snapshot.slice(0, 6))
    await storage.corruptForTest(head.snapshot as unknown as ObjectId)
    const reopened = await Repository.fromStorage(storage) // no parsed-object cache
    expect(await reopened.resolve(older.snapshot.slice(0, 6))).toBe(older.snapshot)
    expect((await catchDvError(() => reopened.resolve(head.snapshot.slice(0, 6)))).code).toBe('CORRUPT')
    await storage.objects.delete(head.snapshot as unknown as ObjectId)
    const again = await Repository.fromStorage(storage)
    expect(await again.resolve(older.snapshot.slice(0, 6))).toBe(older.snapshot)
    for (const r of [repo, reopened, again]) await r.close()
  })

  it('count an unreadable object with the prefix, so ambiguity is never hidden', async () => {
    const { storage, repo } = await fresh()
    const byPrefix = new Map<string, string>()
    let pair: [string, string] | undefined
    for (let i = 0; i < 3000 && !pair; i++) {
      const id = (await repo.commit({ message: `c${i}`, allowEmpty: true })).snapshot
      const seen = byPrefix.get(id.slice(0, 4))
      if (seen) pair = [seen, id]
      byPrefix.set(id.slice(0, 4), id)
    }
    if (!pair) return // astronomically unlikely: 3000 ids without a 4-digit collision
    const prefix = pair[0].slice(0, 4)
    await storage.corruptForTest(pair[1] as ObjectId)
    const reopened = await Repository.fromStorage(storage)
    const err = await catchDvError(() => reopened.resolve(prefix))
    expect(err.code).toBe('INVALID_ARGUMENT')
    expect(err.message).toMatch(new RegExp(`${pair[1].slice(0, 12)} \\(unreadable\\)`))
    expect(await reopened.resolve(pair[0].slice(0, 12))).toBe(pair[0])
    await repo.close()
    await reopened.close()
  })

  it('name the candidates of an ambiguous prefix in id order, whatever order the store lists them in', async () => {
    const { repo } = await fresh()
    const byPrefix = new Map<string, string[]>()
    // prefixes of 4 hex digits shared by an earlier and a later snapshot (the memory store lists in creation order): one listed out of order, one in order
    let down: string | undefined
    let up: string | undefined
    for (let i = 0; i < 8000 && !(down && up); i++) {
      const id = (await repo.commit({ message: `c${i}`, allowEmpty: true })).snapshot
      const prefix = id.slice(0, 4)
      const seen = byPrefix.get(prefix) ?? []
      if (seen.length === 1 && id < seen[0]! && !down) down = prefix
      if (seen.length === 1 && id > seen[0]! && !up) up = prefix
      byPrefix.set(prefix, [...seen, id])
    }
    if (!down || !up) return // astronomically unlikely
    for (const prefix of [down, up]) {
      const ids = [...byPrefix.get(prefix)!].sort()
      const err = await catchDvError(() => repo.resolve(prefix))
      expect({ code: err.code, message: err.message, hint: err.hint, details: err.details }).toEqual({
        code: 'INVALID_ARGUMENT',
        message: `snapshot prefix '${prefix}' is ambiguous: it matches ${ids.map((id) => id.slice(0, 12)).join(', ')}`,
        hint: 'use more hex digits',
        details: { candidates: ids },
      })
    }
    await repo.close()
  })

  it('read the one snapshot a prefix names once', async () => {
    const { storage, repo } = await fresh()
    const c = await repo.commit({ message: 'x', allowEmpty: true })
    const counting = wrapCounting(storage)
    const reopened = await Repository.fromStorage(counting) // no parsed-object cache
    counting.resetCounts()
    expect(await reopened.resolve(c.snapshot.slice(0, 8))).toBe(c.snapshot)
    expect(counting.reads.get(c.snapshot)).toBe(1)
    await reopened.close()
    await repo.close()
  })

  it('ignore objects of other kinds that share the prefix', async () => {
    const { storage, repo } = await fresh()
    const c = await repo.commit({ message: 'x', allowEmpty: true })
    const other = await storage.objects.put(new TextEncoder().encode('not a snapshot'))
    expect(await repo.resolve(c.snapshot.slice(0, 8))).toBe(c.snapshot)
    expect((await catchDvError(() => repo.resolve(other.slice(0, 8)))).code).toBe('NOT_FOUND')
    await repo.close()
  })
})
