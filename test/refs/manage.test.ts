/**
 * Branch and tag management (format-spec/refs.md) and `dv branch restore`
 * through the library, on a local repository with a workspace (so a branch
 * is checked out) and on the memory store: exact listings, the names each
 * snapshot carries, the refusals (their code, message and hint) and what a
 * lost race turns into.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DvError, Repository } from '../../src/index.js'
import type { SnapshotId } from '../../src/ids.js'
import { createRef, deleteRef, listBranches, listTags, refNamesBySnapshot } from '../../src/refs/manage.js'
import { readReflog } from '../../src/refs/reflog.js'
import { restoreBranch, type RestoreContext } from '../../src/refs/restore.js'
import { createMemoryStorage, wrapFaulty } from '../../src/store/index.js'
import type { RefStore, Storage } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { useTempDir } from '../support/temp-dir.js'

const tmp = useTempDir('dv-refs-manage-')

async function local(): Promise<Repository> {
  let t = Date.UTC(2026, 7, 1)
  return Repository.init(join(tmp.path, `r${tmp.next()}`), { author: 'ann', now: () => (t += 1000) })
}

async function commit(repo: Repository, message: string, branch?: string): Promise<string> {
  return (await repo.commit({ message, allowEmpty: true, ...(branch ? { branch } : {}) })).snapshot
}

const messages = async (storage: Pick<Storage, 'refs' | 'reflog'>, ref: string) => (await readReflog(storage, ref)).items.map((i) => i.entry?.message)

/** A refs context on `storage` where HEAD is `head` (main's head when not given) and `main` is checked out. */
function adminContext(storage: Storage, refs: RefStore = storage.refs): RestoreContext {
  return {
    storage, refs, now: () => Date.UTC(2026, 7, 2), author: 'ann',
    resolve: async (rev) => (rev ?? (await storage.refs.get('branches/main'))!.snapshot) as SnapshotId,
    currentBranch: async () => 'main',
    dropped: async () => 0,
  }
}

describe('createRef', () => {
  it('creates at HEAD or a REV, logging where from, and returns the name and snapshot', async () => {
    const repo = await local()
    const root = await repo.resolve('main')
    const c1 = await commit(repo, 'one')
    expect(await repo.createBranch('dev')).toEqual({ name: 'dev', snapshot: c1 })
    expect(await repo.createBranch('old', 'main~1')).toEqual({ name: 'old', snapshot: root })
    expect(await repo.createTag('v1')).toEqual({ name: 'v1', snapshot: c1 })
    expect(await repo.createTag('v0', root)).toEqual({ name: 'v0', snapshot: root })
    const storage = (repo as unknown as { storage: Storage }).storage
    expect(await messages(storage, 'branches/dev')).toEqual(['branch: created from HEAD'])
    expect(await messages(storage, 'branches/old')).toEqual(['branch: created from main~1'])
    expect(await messages(storage, 'tags/v1')).toEqual(['tag: created at HEAD'])
    expect(await messages(storage, 'tags/v0')).toEqual([`tag: created at ${root}`])
    await repo.close()
  })

  it('refuses an existing name, and a name starting with a qualifier, naming the way forward', async () => {
    const repo = await local()
    await repo.createBranch('dev')
    await repo.createTag('v1')
    const branch = await catchDvError(() => repo.createBranch('dev'))
    expect({ code: branch.code, retryable: branch.retryable, message: branch.message, hint: branch.hint }).toEqual({
      code: 'CONFLICT', retryable: false, message: "branch 'dev' already exists", hint: 'pick another name, or delete it first with `dv branch -d`',
    })
    const tag = await catchDvError(() => repo.createTag('v1'))
    expect({ code: tag.code, retryable: tag.retryable, message: tag.message, hint: tag.hint }).toEqual({
      code: 'CONFLICT', retryable: false, message: "tag 'v1' already exists", hint: 'tags do not move: delete it first with `dv tag -d`',
    })
    const qb = await catchDvError(() => repo.createTag('branches/x'))
    expect({ code: qb.code, message: qb.message, hint: qb.hint }).toEqual({
      code: 'INVALID_ARGUMENT', message: "invalid tag name 'branches/x': it starts with 'branches/', which a revision uses to name a branch", hint: "use another name, e.g. 'x'",
    })
    const qt = await catchDvError(() => repo.createBranch('tags/y/z'))
    expect({ code: qt.code, message: qt.message, hint: qt.hint }).toEqual({
      code: 'INVALID_ARGUMENT', message: "invalid branch name 'tags/y/z': it starts with 'tags/', which a revision uses to name a tag", hint: "use another name, e.g. 'y/z'",
    })
    expect((await repo.listBranches()).map((b) => b.name)).toEqual(['dev', 'main'])
    expect((await repo.listTags()).map((t) => t.name)).toEqual(['v1'])
    await repo.close()
  })

  it('turns a lost race into "already exists" when the ref is there, and passes other failures through', async () => {
    const storage = createMemoryStorage()
    const repo = await Repository.fromStorage(storage, { init: true, author: 'ann' })
    const head = await repo.resolve('main')
    // another client creates it between the check and the swap
    let first = true
    const racingRefs: RefStore = {
      ...storage.refs,
      get: async (name) => {
        if (name === 'tags/t1' && first) {
          first = false
          await storage.refs.compareAndSwap(name, null, head as SnapshotId)
          return undefined
        }
        return storage.refs.get(name)
      },
    }
    const lost = await catchDvError(() => createRef(adminContext(storage, racingRefs), 'tag', 't1'))
    expect({ code: lost.code, retryable: lost.retryable, message: lost.message }).toEqual({ code: 'CONFLICT', retryable: false, message: "tag 't1' already exists" })
    expect(lost.cause).toBeInstanceOf(DvError)
    expect((lost.cause as DvError).retryable).toBe(true)
    // a CONFLICT with the ref still absent is the store's own
    const conflicting = wrapFaulty(storage, { conflictOnCas: [1] })
    const own = await catchDvError(() => createRef(adminContext(conflicting), 'branch', 'b1'))
    expect([own.code, own.message]).toEqual(['CONFLICT', "ref 'branches/b1' changed (injected conflict, call 1)"])
    // a failure other than CONFLICT, with the ref there meanwhile, too
    let once = true
    const failing: Storage = {
      ...storage,
      refs: {
        ...storage.refs,
        compareAndSwap: async (name) => {
          if (once) {
            once = false
            await storage.refs.compareAndSwap(name, null, head as SnapshotId)
          }
          throw new DvError('STORAGE', 'disk full')
        },
      },
    }
    const broken = await catchDvError(() => createRef(adminContext(failing), 'branch', 'b2'))
    expect([broken.code, broken.message]).toEqual(['STORAGE', 'disk full'])
    await repo.close()
  })
})

describe('deleteRef', () => {
  it('deletes a branch or a tag, returning its last snapshot, never the checked-out branch, and names a missing one', async () => {
    const repo = await local()
    const root = await repo.resolve('main')
    await repo.createBranch('dev')
    await repo.createTag('main') // a tag named like the checked-out branch
    const c1 = await commit(repo, 'one', 'dev')
    const checkedOut = await catchDvError(() => repo.deleteBranch('main'))
    expect({ code: checkedOut.code, message: checkedOut.message, hint: checkedOut.hint }).toEqual({
      code: 'INVALID_ARGUMENT', message: "cannot delete branch 'main': it is checked out", hint: 'switch to another branch first',
    })
    expect(await repo.deleteTag('main')).toEqual({ name: 'main', snapshot: root })
    expect(await repo.deleteBranch('dev')).toEqual({ name: 'dev', snapshot: c1 })
    for (const [p, message] of [[() => repo.deleteBranch('dev'), "branch 'dev' does not exist"], [() => repo.deleteTag('main'), "tag 'main' does not exist"]] as const) {
      const e = await catchDvError(p)
      expect([e.code, e.message]).toEqual(['NOT_FOUND', message])
    }
    const storage = (repo as unknown as { storage: Storage }).storage
    expect(await messages(storage, 'branches/dev')).toEqual(['branch -d', 'commit: one', 'branch: created from HEAD'])
    expect(await messages(storage, 'tags/main')).toEqual(['tag -d', 'tag: created at HEAD'])
    expect((await repo.listBranches()).map((b) => b.name)).toEqual(['main'])
    await repo.close()
  })
})

describe('listings', () => {
  it('list branches (the current one, protection rules), tags, and the names on each snapshot', async () => {
    const repo = await local()
    const root = await repo.resolve('main')
    await repo.createBranch('dev')
    await repo.createBranch('feature/x')
    const c1 = await commit(repo, 'one', 'dev')
    await repo.createTag('v1', 'dev')
    await repo.createTag('v0')
    await repo.protectBranch('dev', { requireMerge: true })
    const branches = await repo.listBranches()
    expect(branches).toEqual([
      { name: 'dev', snapshot: c1, current: false, protection: { requireChecks: false, requireMerge: true } },
      { name: 'feature/x', snapshot: root, current: false },
      { name: 'main', snapshot: root, current: true },
    ])
    branches[0]!.protection!.requireMerge = false // a copy
    expect((await repo.protectedBranches()).dev).toEqual({ requireChecks: false, requireMerge: true })
    await repo.checkout('feature/x')
    expect((await repo.listBranches()).map((b) => [b.name, b.current])).toEqual([['dev', false], ['feature/x', true], ['main', false]])
    expect(await repo.listTags()).toEqual([{ name: 'v0', snapshot: root }, { name: 'v1', snapshot: c1 }])
    const storage = (repo as unknown as { storage: Storage }).storage
    expect(Object.fromEntries(await refNamesBySnapshot(storage.refs))).toEqual({
      [c1]: ['dev', 'tag: v1'],
      [root]: ['feature/x', 'main', 'tag: v0'],
    })
    expect(await listTags(storage.refs)).toEqual(await repo.listTags())
    await repo.close()
  })

  it('lists nothing without refs, and branches without settings unprotected', async () => {
    const storage = createMemoryStorage()
    const ctx = adminContext(storage)
    expect(await listTags(storage.refs)).toEqual([])
    expect(await refNamesBySnapshot(storage.refs)).toEqual(new Map())
    expect(await listBranches(ctx)).toEqual([])
    const repo = await Repository.fromStorage(storage, { init: true, author: 'ann' })
    const root = await repo.resolve('main')
    expect(await listBranches(ctx)).toEqual([{ name: 'main', snapshot: root, current: true }])
    expect(await deleteRef(ctx, 'tag', 'nope').catch((e: DvError) => [e.code, e.message])).toEqual(['NOT_FOUND', "tag 'nope' does not exist"])
    await repo.close()
  })
})

describe('restoreBranch', () => {
  it('refuses what is not NAME@{N} of a branch, with the usage', async () => {
    const repo = await local()
    await commit(repo, 'one')
    for (const spec of ['main', 'main~1', 'HEAD@{1}', '@{1}', 'main@{1}~1', 'main@{2026-01-01T00:00:00Z}']) {
      const e = await catchDvError(() => repo.restoreBranch(spec))
      expect({ spec, code: e.code, message: e.message, hint: e.hint }).toEqual({
        spec, code: 'INVALID_ARGUMENT', message: `'${spec}' is not a reflog entry of a branch`,
        hint: 'name one as NAME@{N}, e.g. `dv branch restore main@{1}` (see `dv reflog NAME`)',
      })
    }
    await repo.close()
  })

  it('does nothing when the branch is already there, and records how it moved otherwise', async () => {
    const repo = await local()
    const root = await repo.resolve('main')
    const c1 = await commit(repo, 'one')
    const c2 = await commit(repo, 'two')
    const storage = (repo as unknown as { storage: Storage }).storage
    // main@{0} is where it is: nothing written
    expect(await repo.restoreBranch('main@{0}')).toEqual({ branch: 'main', snapshot: c2, previous: c2, created: false, dropped: 0 })
    expect((await readReflog(storage, 'branches/main')).stored).toBe(3)
    const e = await catchDvError(() => repo.restoreBranch('main@{2}'))
    expect({ code: e.code, retryable: e.retryable, message: e.message, hint: e.hint, details: e.details }).toEqual({
      code: 'CONFLICT', retryable: false,
      message: `branch 'main' moved since main@{2}: restoring it would drop 2 commit(s) it has now (head ${c2.slice(0, 7)})`,
      hint: 'pass --force to move it anyway (its head stays in the reflog as main@{1} afterwards), or restore into a new branch with `dv branch NEW main@{2}`',
      details: { branch: 'main', head: c2, target: root, dropped: 2 },
    })
    expect(await repo.restoreBranch('main@{2}', { force: true })).toEqual({ branch: 'main', snapshot: root, previous: c2, created: false, dropped: 2 })
    expect(await repo.restoreBranch('main@{2}')).toEqual({ branch: 'main', snapshot: c1, previous: root, created: false, dropped: 0 })
    await repo.createBranch('dev')
    await repo.checkout('dev')
    await repo.deleteBranch('main')
    expect(await repo.restoreBranch('main@{1}')).toEqual({ branch: 'main', snapshot: c1, previous: null, created: true, dropped: 0 })
    expect((await messages(storage, 'branches/main')).slice(0, 4)).toEqual(['branch restore main@{1}', 'branch -d', 'branch restore main@{2}', 'branch restore main@{2} --force'])
    await repo.close()
  })

  it('turns a CONFLICT of its swap into "changed while it was being restored", and passes other failures through', async () => {
    const storage = createMemoryStorage()
    const repo = await Repository.fromStorage(storage, { init: true, author: 'ann' })
    await commit(repo, 'one')
    const conflicting = wrapFaulty(storage, { conflictOnCas: [1] })
    const e = await catchDvError(() => restoreBranch(adminContext(conflicting), 'main@{1}'))
    expect({ code: e.code, retryable: e.retryable, message: e.message, hint: e.hint, details: e.details }).toEqual({
      code: 'CONFLICT', retryable: false, message: "branch 'main' changed while it was being restored: nothing was changed",
      hint: 'look at `dv reflog main` again, then retry', details: { branch: 'main' },
    })
    expect((e.cause as DvError).message).toBe("ref 'branches/main' changed (injected conflict, call 1)")
    const failing = wrapFaulty(storage, { failCas: [1] })
    const broken = await catchDvError(() => restoreBranch(adminContext(failing), 'main@{1}'))
    expect([broken.code, broken.message]).toEqual(['STORAGE', 'injected cas failure (call 1)'])
    await repo.close()
  })
})
