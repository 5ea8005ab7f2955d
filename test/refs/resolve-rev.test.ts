/**
 * resolveRev (format-spec/rev-syntax.md) on real snapshots in the memory
 * store, through its RevContext: bases (branch, tag, HEAD, full id, unique
 * hex prefix), `~N`, `^N` and `@{time}` steps, and the errors of each.
 */
import { describe, expect, it } from 'vitest'
import type { DvError } from '../../src/errors.js'
import type { Snapshot } from '../../src/format/types.js'
import type { SnapshotId } from '../../src/ids.js'
import { resolveRev, type RevContext } from '../../src/refs/resolve.js'
import { createMemoryStorage } from '../../src/store/index.js'
import type { Storage } from '../../src/store/types.js'
import { readSnapshot, writeSnapshot } from '../../src/table/context.js'
import { repoContext } from '../support/changes.js'

const T0 = Date.UTC(2026, 2, 1)
const SECOND = 1000

/** A repository's refs and snapshots, and the HEAD a workspace would report (undefined: none). */
function revContext(storage: Storage, head: () => SnapshotId | undefined = () => undefined): RevContext {
  const ctx = repoContext(storage)
  return {
    refs: storage.refs,
    reflog: storage.reflog,
    headBranch: () => Promise.resolve('main'),
    readSnapshot: (id) => readSnapshot(ctx, id),
    hasObject: (id) => storage.objects.has(id as never),
    listObjects: (prefix) => storage.objects.list(prefix),
    // every object these tests store is a snapshot or plainly not one
    classifyObject: (id) => readSnapshot(ctx, id as SnapshotId).then(() => 'snapshot' as const, () => 'other' as const),
    head: () => Promise.resolve(head()),
  }
}

async function snapshot(storage: Storage, parents: SnapshotId[], timestampMs: number, message: string): Promise<SnapshotId> {
  const s: Snapshot = { parents, timestampMs, author: 'ann', message, tables: {}, summary: {} }
  return writeSnapshot(repoContext(storage), s)
}

/** main: c0 <- c1 <- c2, one second apart; c2 also has `side` as its second parent. */
async function history(): Promise<{ storage: Storage; c: SnapshotId[]; side: SnapshotId }> {
  const storage = createMemoryStorage()
  const c0 = await snapshot(storage, [], T0, 'c0')
  const c1 = await snapshot(storage, [c0], T0 + SECOND, 'c1')
  const side = await snapshot(storage, [c0], T0 + SECOND, 'side')
  const c2 = await snapshot(storage, [c1, side], T0 + 2 * SECOND, 'c2')
  await storage.refs.compareAndSwap('branches/main', null, c2)
  return { storage, c: [c0, c1, c2], side }
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

describe('resolveRev: steps', () => {
  it('walks first parents with ~N and the N-th parent with ^N; ~0 and ^0 stay put', async () => {
    const { storage, c: [c0, c1, c2], side } = await history()
    const ctx = revContext(storage)
    expect(await resolveRev(ctx, 'main~1')).toEqual({ snapshot: c1 })
    expect(await resolveRev(ctx, 'main~2')).toEqual({ snapshot: c0 })
    expect(await resolveRev(ctx, 'main~')).toEqual({ snapshot: c1 })
    expect(await resolveRev(ctx, 'main~~')).toEqual({ snapshot: c0 })
    expect(await resolveRev(ctx, 'main~0')).toEqual({ snapshot: c2 })
    expect(await resolveRev(ctx, 'main^')).toEqual({ snapshot: c1 })
    expect(await resolveRev(ctx, 'main^1')).toEqual({ snapshot: c1 })
    expect(await resolveRev(ctx, 'main^2')).toEqual({ snapshot: side })
    expect(await resolveRev(ctx, 'main^2~1')).toEqual({ snapshot: c0 })
    expect(await resolveRev(ctx, 'main^0')).toEqual({ snapshot: c2 })
  })

  it('reports walking past the root or past the parents as NOT_FOUND, naming the snapshot', async () => {
    const { storage, c: [c0, c1] } = await history()
    const ctx = revContext(storage)
    const root = await failure(resolveRev(ctx, 'main~3'))
    expect(root.code).toBe('NOT_FOUND')
    expect(root.message).toBe(`revision 'main~3' goes past the start of history: snapshot ${c0.slice(0, 7)} has no parents`)
    const third = await failure(resolveRev(ctx, 'main^3'))
    expect(third.message).toContain('has only 2 parent(s)')
    const second = await failure(resolveRev(ctx, 'main~1^2'))
    expect(second.message).toBe(`revision 'main~1^2' goes past the start of history: snapshot ${c1.slice(0, 7)} has only 1 parent(s)`)
  })

  it('@{time} is the newest first-parent commit at or before the time', async () => {
    const { storage, c: [c0, c1, c2] } = await history()
    const ctx = revContext(storage)
    const at = (ms: number) => resolveRev(ctx, `main@{${new Date(ms).toISOString()}}`)
    expect(await at(T0 + 2 * SECOND)).toEqual({ snapshot: c2 })
    expect(await at(T0 + 2 * SECOND - 1)).toEqual({ snapshot: c1 })
    expect(await at(T0 + SECOND)).toEqual({ snapshot: c1 })
    expect(await at(T0)).toEqual({ snapshot: c0 })
    expect(await resolveRev(ctx, 'main@{2027-01-01}~1')).toEqual({ snapshot: c1 })
    const before = await failure(at(T0 - 1))
    expect(before.code).toBe('NOT_FOUND')
    expect(before.message).toBe(`no commit in 'main@{2026-02-28T23:59:59.999Z}' at or before 2026-02-28T23:59:59.999Z: the history starts at ${new Date(T0).toISOString()}`)
    expect(before.hint).toBe('pick a later time, or a snapshot id from `dv log`')
  })
})

describe('resolveRev: bases', () => {
  it('names the branch only for a bare branch name; a branch and a tag of one name need their qualified spelling', async () => {
    const { storage, c: [c0, c1, c2] } = await history()
    await storage.refs.compareAndSwap('tags/v1', null, c1)
    await storage.refs.compareAndSwap('tags/main', null, c0)
    const ctx = revContext(storage)
    expect((await failure(resolveRev(ctx, 'main'))).code).toBe('INVALID_ARGUMENT')
    expect(await resolveRev(ctx, 'branches/main')).toEqual({ snapshot: c2, branch: 'main' })
    expect(await resolveRev(ctx, 'tags/main')).toEqual({ snapshot: c0 })
    expect(await resolveRev(ctx, 'branches/main~0')).toEqual({ snapshot: c2 })
    expect(await resolveRev(ctx, 'v1')).toEqual({ snapshot: c1 })
  })

  it('HEAD (and a bare @) is the workspace HEAD, else main; without either there is no HEAD', async () => {
    const { storage, c: [c0, c1, c2] } = await history()
    expect(await resolveRev(revContext(storage), 'HEAD')).toEqual({ snapshot: c2 })
    expect(await resolveRev(revContext(storage), 'HEAD~1')).toEqual({ snapshot: c1 })
    expect(await resolveRev(revContext(storage, () => c0), 'HEAD')).toEqual({ snapshot: c0 })
    expect(await resolveRev(revContext(storage, () => c1), '@')).toEqual({ snapshot: c1 })
    const empty = await failure(resolveRev(revContext(createMemoryStorage()), 'HEAD'))
    expect(empty.code).toBe('NOT_FOUND')
    expect(empty.message).toBe("revision 'HEAD': there is no HEAD (no workspace and no branch main)")
  })

  it('takes a full snapshot id, in any case, only when the object exists and is a snapshot', async () => {
    const { storage, c: [c0] } = await history()
    const ctx = revContext(storage)
    expect(await resolveRev(ctx, c0)).toEqual({ snapshot: c0 })
    expect(await resolveRev(ctx, c0.toUpperCase())).toEqual({ snapshot: c0 })
    const missing = await failure(resolveRev(ctx, 'f'.repeat(64)))
    expect(missing.code).toBe('NOT_FOUND')
    expect(missing.message).toBe(`unknown revision '${'f'.repeat(64)}': no branch, tag or snapshot is named '${'f'.repeat(64)}'`)
    const notSnapshot = await storage.objects.put(new TextEncoder().encode('not a snapshot'))
    expect((await failure(resolveRev(ctx, notSnapshot))).code).toBe('CORRUPT')
  })

  it('takes a unique prefix of 4 or more hex digits of a stored snapshot, in any case', async () => {
    const { storage, c: [c0], side } = await history()
    const ctx = revContext(storage)
    expect(await resolveRev(ctx, c0.slice(0, 12))).toEqual({ snapshot: c0 })
    expect(await resolveRev(ctx, c0.slice(0, 4).toUpperCase() + c0.slice(4, 10))).toEqual({ snapshot: c0 })
    expect(await resolveRev(ctx, `${side.slice(0, 8)}~1`)).toEqual({ snapshot: c0 })
    expect((await failure(resolveRev(ctx, c0.slice(0, 3)))).code).toBe('NOT_FOUND')
    // a stored snapshot that no ref reaches is found by prefix too (prefixes search the objects, not the refs)
    const orphan = await snapshot(storage, [], T0, 'orphan')
    expect(await resolveRev(ctx, orphan.slice(0, 10))).toEqual({ snapshot: orphan })
    expect(await resolveRev(ctx, orphan)).toEqual({ snapshot: orphan })
    // an object with the prefix that is not a snapshot does not count
    const other = await storage.objects.put(new TextEncoder().encode('not a snapshot'))
    expect((await failure(resolveRev(ctx, other.slice(0, 10)))).code).toBe('NOT_FOUND')
  })

  it('rejects an ambiguous prefix with INVALID_ARGUMENT listing the candidates', async () => {
    // Grow main until two of its snapshots share their first 4 hex digits (about 300 commits).
    const storage = createMemoryStorage()
    const seen = new Map<string, SnapshotId>()
    let tip = await snapshot(storage, [], T0, 'root')
    let pair: SnapshotId[] | undefined
    for (let i = 1; !pair; i++) {
      seen.set(tip.slice(0, 4), tip)
      tip = await snapshot(storage, [tip], T0 + i, `c${i}`)
      const twin = seen.get(tip.slice(0, 4))
      if (twin) pair = [twin, tip]
    }
    await storage.refs.compareAndSwap('branches/main', null, tip)
    const [a, b] = pair
    const e = await failure(resolveRev(revContext(storage), a.slice(0, 4)))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(new RegExp(`^snapshot prefix '${a.slice(0, 4)}' is ambiguous: it matches [0-9a-f]{12}, [0-9a-f]{12}$`))
    expect(e.message).toContain(a.slice(0, 12))
    expect(e.message).toContain(b.slice(0, 12))
    expect(e.hint).toBe('use more hex digits')
    expect([...(e.details.candidates as string[])].sort()).toEqual([a, b].sort())
    // one more digit that tells them apart resolves
    const n = [...a].findIndex((ch, k) => ch !== b[k])
    expect(await resolveRev(revContext(storage), a.slice(0, n + 1))).toEqual({ snapshot: a })
  })

  it('reports an unknown name as NOT_FOUND with a hint', async () => {
    const { storage } = await history()
    const e = await failure(resolveRev(revContext(storage), 'nope~1'))
    expect(e.code).toBe('NOT_FOUND')
    expect(e.message).toBe("unknown revision 'nope~1': no branch, tag or snapshot is named 'nope'")
    expect(e.hint).toContain('dv branch --list')
  })
})
