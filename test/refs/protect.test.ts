/**
 * Branch protection (format-spec/settings.md#branch-protection) at the refs
 * layer, on the memory store: the rules each intent of a ref update must
 * satisfy and the refusal each names (checkProtection), updateRef applying
 * them to branches only, and `dv branch protect|unprotect|--list|--log`
 * (protect.ts): exact rules stored, nothing written for no change, each
 * change one settings version with its parent, time, author and command.
 */
import { describe, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import type { ObjectId, SnapshotId } from '../../src/ids.js'
import { parseSettings, SETTINGS_REF } from '../../src/format/index.js'
import type { BranchProtection } from '../../src/format/types.js'
import { listProtected, protectBranch, settingsHistory, unprotectBranch } from '../../src/refs/protect.js'
import { branchOf, branchProtection, checkProtection, protectionError, type RefIntent } from '../../src/refs/protection.js'
import { readReflog, updateRef, type ReflogContext } from '../../src/refs/reflog.js'
import { createMemoryStorage } from '../../src/store/index.js'
import type { Storage } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { landsBeforeSettingsChange } from './settings-race.js'

const T0 = Date.UTC(2026, 4, 1)
/** The refs context's clock stands still: each settings version is still 1 ms after its parent. */
const T1 = Date.UTC(2026, 5, 1)

/** A repository (branch main at its root commit; its clock a second per reading) and a refs context on its store (clock at T1). */
async function fresh(): Promise<{ repo: Repository; storage: Storage; ctx: ReflogContext; root: SnapshotId }> {
  const storage = createMemoryStorage()
  let t = T0
  const now = () => (t += 1000)
  const repo = await Repository.fromStorage(storage, { init: true, now, author: 'ann' })
  const ctx: ReflogContext = { storage, now: () => T1, author: 'bob' }
  return { repo, storage, ctx, root: (await storage.refs.get('branches/main'))!.snapshot }
}

function refusal(e: DvError): { code: string; message: string; hint: string | undefined; details: unknown } {
  return { code: e.code, message: e.message, hint: e.hint, details: e.details }
}

const MERGE_HINT = (b: string) => `write to another branch and merge it: \`dv checkout -b change ${b}\`, write and commit there, \`dv check TABLE\`, then \`dv merge change --into ${b}\``
const CHECKS_HINT = 'run it without --no-verify: the contracts must pass on this branch'
const UNPROTECT_HINT = (b: string) => `run \`dv branch unprotect ${b}\` first if you really mean it`

describe('checkProtection', () => {
  const none: BranchProtection = { requireChecks: false, requireMerge: false }
  const merge: BranchProtection = { requireChecks: false, requireMerge: true }
  const checks: BranchProtection = { requireChecks: true, requireMerge: false }
  const both: BranchProtection = { requireChecks: true, requireMerge: true }
  const deleting = { code: 'INVALID_ARGUMENT', message: "branch 'prod' is protected: deleting it is refused", hint: UNPROTECT_HINT('prod'), details: { branch: 'prod', rule: 'protected' } }
  const reset = { code: 'INVALID_ARGUMENT', message: "branch 'prod' is protected: moving it by dv reset is refused", hint: UNPROTECT_HINT('prod'), details: { branch: 'prod', rule: 'protected' } }
  const restore = { code: 'INVALID_ARGUMENT', message: "branch 'prod' is protected: moving it by dv branch restore is refused", hint: UNPROTECT_HINT('prod'), details: { branch: 'prod', rule: 'protected' } }
  const direct = { code: 'INVALID_ARGUMENT', message: "branch 'prod' is protected with --require-merge: a direct commit is refused", hint: MERGE_HINT('prod'), details: { branch: 'prod', rule: 'require-merge' } }
  const skipped = { code: 'INVALID_ARGUMENT', message: "branch 'prod' is protected with --require-checks: skipping the contracts (--no-verify) is refused", hint: CHECKS_HINT, details: { branch: 'prod', rule: 'require-checks' } }

  it.each<[string, BranchProtection | undefined, RefIntent, boolean, object | null]>([
    ['unprotected: a delete', undefined, 'delete', true, null],
    ['unprotected: a reset', undefined, 'reset', false, null],
    ['unprotected: a skipped commit', undefined, 'commit', true, null],
    ['no rules: a commit', none, 'commit', false, null],
    ['no rules: a skipped commit', none, 'commit', true, null],
    ['no rules: a merge', none, 'merge', true, null],
    ['no rules: a create', none, 'create', false, null],
    ['no rules: a delete', none, 'delete', false, deleting],
    ['no rules: a reset', none, 'reset', false, reset],
    ['no rules: a restore', none, 'restore', false, restore],
    ['require-merge: a commit', merge, 'commit', false, direct],
    ['require-merge: a skipped commit', merge, 'commit', true, direct],
    ['require-merge: a merge', merge, 'merge', false, null],
    ['require-merge: a skipped merge', merge, 'merge', true, null],
    ['require-merge: a create', merge, 'create', false, null],
    ['require-merge: a delete', merge, 'delete', false, deleting],
    ['require-checks: a commit', checks, 'commit', false, null],
    ['require-checks: a skipped commit', checks, 'commit', true, skipped],
    ['require-checks: a skipped merge', checks, 'merge', true, skipped],
    ['require-checks: a merge', checks, 'merge', false, null],
    ['require-checks: a reset', checks, 'reset', true, reset],
    ['both: a skipped merge', both, 'merge', true, skipped],
    ['both: a skipped commit', both, 'commit', true, direct],
    ['both: a merge', both, 'merge', false, null],
    ['both: a restore', both, 'restore', true, restore],
  ])('%s', async (_, protection, intent, skippedChecks, expected) => {
    if (expected === null) {
      expect(checkProtection(protection, 'prod', intent, skippedChecks)).toBeUndefined()
    } else {
      expect(refusal(await catchDvError(async () => checkProtection(protection, 'prod', intent, skippedChecks)))).toEqual(expected)
    }
  })

  it('protectionError names the rule, what is refused and the way forward', () => {
    expect(refusal(protectionError('dev', 'require-merge', 'a direct write'))).toEqual({
      code: 'INVALID_ARGUMENT', message: "branch 'dev' is protected with --require-merge: a direct write is refused", hint: MERGE_HINT('dev'), details: { branch: 'dev', rule: 'require-merge' },
    })
    expect(protectionError('dev', 'protected', 'x').retryable).toBe(false)
  })
})

describe('branchOf and branchProtection', () => {
  it('names the branch of a branch ref only', () => {
    expect(branchOf('branches/main')).toBe('main')
    expect(branchOf('branches/feature/x')).toBe('feature/x')
    expect(branchOf('tags/v1')).toBeUndefined()
    expect(branchOf('settings')).toBeUndefined()
    expect(branchOf('tags/branches/')).toBeUndefined()
  })

  it('reads the rules of a protected branch, and undefined for others or without settings', async () => {
    const { repo, storage } = await fresh()
    expect(await branchProtection(storage, 'main')).toBeUndefined()
    await repo.protectBranch('main', { requireChecks: true })
    expect(await branchProtection(storage, 'main')).toEqual({ requireChecks: true, requireMerge: false })
    expect(await branchProtection(storage, 'dev')).toBeUndefined()
    expect(await branchProtection(storage, 'toString')).toBeUndefined()
    await repo.close()
  })
})

describe('updateRef under protection', () => {
  it('refuses a delete and a plain update of a protected branch by their intent, writing no reflog entry', async () => {
    const { repo, storage, ctx, root } = await fresh()
    await repo.protectBranch('main')
    const ref = (await storage.refs.get('branches/main'))!
    const del = await catchDvError(() => updateRef(ctx, { ref: 'branches/main', expected: ref, next: null, message: 'branch -d' }))
    expect(refusal(del)).toEqual({ code: 'INVALID_ARGUMENT', message: "branch 'main' is protected: deleting it is refused", hint: UNPROTECT_HINT('main'), details: { branch: 'main', rule: 'protected' } })
    const reset = await catchDvError(() => updateRef(ctx, { ref: 'branches/main', expected: ref, next: root, message: 'reset', intent: 'reset' }))
    expect(reset.message).toBe("branch 'main' is protected: moving it by dv reset is refused")
    // no rule forbids a commit on a branch protected without --require-merge
    const id = (await repo.commit({ message: 'x', allowEmpty: true })).snapshot
    await repo.protectBranch('main', { requireMerge: true })
    const now = (await storage.refs.get('branches/main'))!
    const commit = await catchDvError(() => updateRef(ctx, { ref: 'branches/main', expected: now, next: root, message: 'commit: back' }))
    expect(commit.details).toEqual({ branch: 'main', rule: 'require-merge' })
    // a merge is let through
    await updateRef(ctx, { ref: 'branches/main', expected: now, next: root, message: 'merge', intent: 'merge' })
    expect((await storage.refs.get('branches/main'))!.snapshot).toBe(root)
    const log = await readReflog(storage, 'branches/main')
    expect(log.items.map((i) => [i.value, i.entry?.message])).toEqual([[root, 'merge'], [id, 'commit: x'], [root, 'init']])
    expect(log.stored).toBe(3)
    await repo.close()
  })

  it('lets a create through a branch protected with --require-merge (a branch protected, then deleted behind dv)', async () => {
    const { repo, storage, ctx, root } = await fresh()
    await repo.createBranch('gone')
    await repo.protectBranch('gone', { requireMerge: true, requireChecks: true })
    const ref = (await storage.refs.get('branches/gone'))!
    await storage.refs.compareAndSwap('branches/gone', ref.version, null)
    await updateRef(ctx, { ref: 'branches/gone', expected: null, next: root, message: 'branch: created' })
    expect((await storage.refs.get('branches/gone'))!.snapshot).toBe(root)
    // but not with the contracts skipped
    const again = (await storage.refs.get('branches/gone'))!
    await storage.refs.compareAndSwap('branches/gone', again.version, null)
    const e = await catchDvError(() => updateRef(ctx, { ref: 'branches/gone', expected: null, next: root, message: 'branch: created', skippedChecks: true }))
    expect(e.details).toEqual({ branch: 'gone', rule: 'require-checks' })
    await repo.close()
  })

  it('refuses skipped checks only when skippedChecks is true', async () => {
    const { repo, storage, ctx, root } = await fresh()
    await repo.protectBranch('main', { requireChecks: true })
    const ref = (await storage.refs.get('branches/main'))!
    const e = await catchDvError(() => updateRef(ctx, { ref: 'branches/main', expected: ref, next: root, message: 'c', skippedChecks: true }))
    expect(e.details).toEqual({ branch: 'main', rule: 'require-checks' })
    const id = (await repo.commit({ message: 'one', allowEmpty: true })).snapshot
    const now = (await storage.refs.get('branches/main'))!
    await updateRef(ctx, { ref: 'branches/main', expected: now, next: root, message: 'c', skippedChecks: false })
    const after = (await storage.refs.get('branches/main'))!
    await updateRef(ctx, { ref: 'branches/main', expected: after, next: id as SnapshotId, message: 'd' })
    expect((await storage.refs.get('branches/main'))!.snapshot).toBe(id)
    await repo.close()
  })

  it('judges only branches: a tag and the settings move even with a branch named like what they are not', async () => {
    const { repo, storage, ctx, root } = await fresh()
    await repo.createBranch('undefined')
    await repo.protectBranch('undefined', { requireMerge: true })
    await repo.createTag('v1')
    const id = (await repo.commit({ message: 'one', allowEmpty: true })).snapshot
    const tag = (await storage.refs.get('tags/v1'))!
    await updateRef(ctx, { ref: 'tags/v1', expected: tag, next: id as SnapshotId, message: 'moved' })
    expect((await storage.refs.get('tags/v1'))!.snapshot).toBe(id)
    await updateRef(ctx, { ref: 'tags/v1', expected: (await storage.refs.get('tags/v1'))!, next: null, message: 'tag -d' })
    expect(await storage.refs.get('tags/v1')).toBeUndefined()
    expect((await repo.protectBranch('main')).previous).toBeNull() // a settings update
    expect(root).not.toBe(id)
    await repo.close()
  })
})

describe('protectBranch, unprotectBranch, listProtected and settingsHistory', () => {
  it('store exactly the rules asked for, write nothing for no change, and record each change', async () => {
    const { repo, storage, ctx } = await fresh()
    await repo.createBranch('zeta')
    await repo.createBranch('beta')
    expect(await listProtected(ctx)).toEqual({})
    expect(await settingsHistory(ctx)).toEqual([])

    const p1 = await protectBranch(ctx, 'zeta')
    expect(p1).toEqual({ branch: 'zeta', protection: { requireChecks: false, requireMerge: false }, previous: null, settings: (await storage.refs.get(SETTINGS_REF))!.snapshot })
    const p2 = await protectBranch(ctx, 'beta', { requireChecks: true })
    expect(p2).toMatchObject({ branch: 'beta', protection: { requireChecks: true, requireMerge: false }, previous: null })
    const p3 = await protectBranch(ctx, 'main', { requireMerge: true, requireChecks: false })
    expect(p3).toMatchObject({ branch: 'main', protection: { requireChecks: false, requireMerge: true }, previous: null })
    // the same rules again: nothing written (either rule compared)
    expect(await protectBranch(ctx, 'zeta', {})).toEqual({ branch: 'zeta', protection: { requireChecks: false, requireMerge: false }, previous: { requireChecks: false, requireMerge: false }, settings: null })
    expect((await protectBranch(ctx, 'beta', { requireChecks: true })).settings).toBeNull()
    expect((await protectBranch(ctx, 'main', { requireMerge: true })).settings).toBeNull()
    // either rule changed: a new version
    const p4 = await protectBranch(ctx, 'zeta', { requireMerge: true })
    expect(p4).toMatchObject({ previous: { requireChecks: false, requireMerge: false }, protection: { requireChecks: false, requireMerge: true } })
    const p5 = await protectBranch(ctx, 'zeta', { requireChecks: true, requireMerge: true })
    expect(p5).toMatchObject({ previous: { requireChecks: false, requireMerge: true }, protection: { requireChecks: true, requireMerge: true } })
    const p6 = await protectBranch(ctx, 'zeta', { requireChecks: true })
    expect(p6).toMatchObject({ previous: { requireChecks: true, requireMerge: true }, protection: { requireChecks: true, requireMerge: false } })

    const listed = await listProtected(ctx)
    expect(listed).toEqual({
      beta: { requireChecks: true, requireMerge: false }, main: { requireChecks: false, requireMerge: true }, zeta: { requireChecks: true, requireMerge: false },
    })
    const object = parseSettings(await storage.objects.get((await storage.refs.get(SETTINGS_REF))!.snapshot as string as ObjectId))
    expect(Object.keys(object.protectedBranches)).toEqual(['beta', 'main', 'zeta']) // by name
    expect(await repo.protectedBranches()).toEqual(listed)
    delete listed.zeta // a copy
    expect(Object.keys(await listProtected(ctx))).toEqual(['beta', 'main', 'zeta'])

    const u = await unprotectBranch(ctx, 'beta')
    expect(u).toEqual({ branch: 'beta', protection: null, previous: { requireChecks: true, requireMerge: false }, settings: (await storage.refs.get(SETTINGS_REF))!.snapshot })
    expect(await listProtected(ctx)).toEqual({ main: { requireChecks: false, requireMerge: true }, zeta: { requireChecks: true, requireMerge: false } })

    const history = await settingsHistory(ctx)
    expect(history.map((v) => [v.message, v.author, v.time, v.protectedBranches])).toEqual([
      ['branch unprotect beta', 'bob', new Date(T1 + 6).toISOString(), { main: { requireChecks: false, requireMerge: true }, zeta: { requireChecks: true, requireMerge: false } }],
      ['branch protect zeta --require-checks', 'bob', new Date(T1 + 5).toISOString(), { beta: { requireChecks: true, requireMerge: false }, main: { requireChecks: false, requireMerge: true }, zeta: { requireChecks: true, requireMerge: false } }],
      ['branch protect zeta --require-checks --require-merge', 'bob', new Date(T1 + 4).toISOString(), { beta: { requireChecks: true, requireMerge: false }, main: { requireChecks: false, requireMerge: true }, zeta: { requireChecks: true, requireMerge: true } }],
      ['branch protect zeta --require-merge', 'bob', new Date(T1 + 3).toISOString(), { beta: { requireChecks: true, requireMerge: false }, main: { requireChecks: false, requireMerge: true }, zeta: { requireChecks: false, requireMerge: true } }],
      ['branch protect main --require-merge', 'bob', new Date(T1 + 2).toISOString(), { beta: { requireChecks: true, requireMerge: false }, main: { requireChecks: false, requireMerge: true }, zeta: { requireChecks: false, requireMerge: false } }],
      ['branch protect beta --require-checks', 'bob', new Date(T1 + 1).toISOString(), { beta: { requireChecks: true, requireMerge: false }, zeta: { requireChecks: false, requireMerge: false } }],
      ['branch protect zeta', 'bob', new Date(T1 + 0).toISOString(), { zeta: { requireChecks: false, requireMerge: false } }],
    ])
    expect(history.map((v) => v.id)).toEqual([u.settings, p6.settings, p5.settings, p4.settings, p3.settings, p2.settings, p1.settings])
    expect(history.map((v) => v.parent)).toEqual([p6.settings, p5.settings, p4.settings, p3.settings, p2.settings, p1.settings, null])
    expect((await settingsHistory(ctx, 2)).map((v) => v.id)).toEqual([u.settings, p6.settings])
    expect(await settingsHistory(ctx, 0)).toEqual([])
    expect((await repo.settingsHistory({ limit: 1 })).map((v) => v.message)).toEqual(['branch unprotect beta'])
    await repo.close()
  })

  it('refuse a missing or badly named branch, and unprotecting one that is not protected, writing nothing', async () => {
    const { repo, storage, ctx } = await fresh()
    const missing = await catchDvError(() => protectBranch(ctx, 'nope', { requireMerge: true }))
    expect({ code: missing.code, message: missing.message, hint: missing.hint }).toEqual({
      code: 'NOT_FOUND', message: "branch 'nope' does not exist", hint: 'create it first (`dv branch NAME`), then protect it',
    })
    const bad = await catchDvError(() => protectBranch(ctx, 'a..b'))
    expect([bad.code, bad.message]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/^invalid branch name 'a\.\.b': /)])
    const notProtected = { code: 'NOT_FOUND', message: "branch 'main' is not protected", hint: 'see `dv branch protect --list`' }
    const un = async (name: string) => {
      const e = await catchDvError(() => unprotectBranch(ctx, name))
      return { code: e.code, message: e.message, hint: e.hint }
    }
    expect(await un('main')).toEqual(notProtected) // no settings at all
    await repo.createBranch('dev')
    await protectBranch(ctx, 'dev')
    expect(await un('main')).toEqual(notProtected) // settings, without main
    expect(await un('toString')).toEqual({ ...notProtected, message: "branch 'toString' is not protected" })
    const badUn = await catchDvError(() => unprotectBranch(ctx, 'a..b'))
    expect([badUn.code, badUn.message]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/^invalid branch name 'a\.\.b': /)])
    expect((await settingsHistory(ctx)).map((v) => v.message)).toEqual(['branch protect dev'])
    expect((await readReflog(storage, SETTINGS_REF)).items.map((i) => i.entry?.message)).toEqual(['branch protect dev'])
    await repo.close()
  })

  it('unprotecting writes nothing when another client unprotected the branch between the check and the change', async () => {
    const { repo, storage, ctx } = await fresh()
    await protectBranch(ctx, 'main', { requireChecks: true })
    const racing = landsBeforeSettingsChange(storage, () => unprotectBranch({ ...ctx, author: 'carl' }, 'main'))
    expect(await unprotectBranch({ ...ctx, storage: racing }, 'main')).toEqual({ branch: 'main', protection: null, previous: null, settings: null })
    expect((await settingsHistory(ctx)).map((v) => [v.message, v.author])).toEqual([['branch unprotect main', 'carl'], ['branch protect main --require-checks', 'bob']])
    await repo.close()
  })

  it('settingsHistory names a damaged version by its id', async () => {
    const { storage, ctx } = await fresh()
    const id = await storage.objects.put(new TextEncoder().encode('{"kind":"nonsense"}'))
    await storage.refs.compareAndSwap(SETTINGS_REF, null, id as string as SnapshotId)
    const e = await catchDvError(() => settingsHistory(ctx))
    expect(e.code).toBe('CORRUPT')
    expect(e.message).toContain(`settings ${id}`)
  })
})
