/**
 * Branch protection (format-spec/settings.md#branch-protection) from the
 * library: every path that moves a branch obeys it, a refusal is
 * INVALID_ARGUMENT (exit 2) naming the rule and leaves every ref, reflog
 * entry and staged change byte-identical; --no-verify skips the contracts
 * except on a branch protected with --require-checks; the settings live in
 * the store, so a second client obeys them, and their changes are recorded.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashFile, hashFiles } from '../support/file-hashes.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import { createMemoryStorage } from '../../src/store/index.js'
import type { Storage } from '../../src/store/types.js'

let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-protect-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const CONTRACT = `apiVersion: v3.1.0
kind: DataContract
id: orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
        required: true
        unique: true
      - name: country
        logicalType: string
        logicalTypeOptions:
          pattern: "^[A-Z]{2}$"
`

async function csv(rows: string): Promise<string> {
  const path = join(dir, `in-${++n}.csv`)
  await writeFile(path, `id,country\n${rows}`)
  return path
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

/** SHA-256 of every file under refs/, reflog/, staging/ and HEAD: what a refused request must not change. */
async function stateOf(root: string): Promise<Record<string, string>> {
  return { ...(await hashFiles(root, ['.dv/refs', '.dv/reflog', '.dv/staging'])), HEAD: await hashFile(join(root, '.dv', 'HEAD')) }
}

/** A repository with table orders under a contract, a branch `dev` one commit ahead of main, and main protected as asked. */
async function setUp(name: string, rules: { requireChecks?: boolean; requireMerge?: boolean }): Promise<{ repo: Repository; root: string }> {
  const root = join(dir, name)
  const repo = await Repository.init(root, { author: 'ann' })
  await repo.write('orders', await csv('1,DE\n2,FR\n'), { commit: true, message: 'load' })
  await repo.setContract('orders', CONTRACT, { file: 'orders.odcs.yaml' })
  await repo.createBranch('dev')
  await repo.write('orders', await csv('3,NL\n'), { commit: true, message: 'on dev', branch: 'dev' })
  await repo.protectBranch('main', rules)
  return { repo, root }
}

describe('a branch protected with --require-merge', () => {
  it('refuses every direct move (write, staged write, commit, cherry-pick, revert, reset, restore, delete) with exit 2 naming the rule, changing nothing', async () => {
    const { repo, root } = await setUp('require-merge', { requireMerge: true })
    const dev = (await repo.listBranches()).find((b) => b.name === 'dev')!.snapshot
    const before = await stateOf(root)
    const input = await csv('9,DE\n')
    const refusals: Array<[string, () => Promise<unknown>]> = [
      ['write --commit', () => repo.write('orders', input, { commit: true, message: 'direct' })],
      ['staged write', () => repo.write('orders', input)],
      ['write --no-verify', () => repo.write('orders', input, { commit: true, message: 'direct', verify: false })],
      ['commit', () => repo.commit({ message: 'empty', allowEmpty: true })],
      ['cherry-pick', () => repo.cherryPick(dev)],
      ['revert', () => repo.revert('main')],
      ['contract rm', () => repo.removeContract('orders')],
    ]
    for (const [what, p] of refusals) {
      const e = await failure(p())
      expect({ what, code: e.code, rule: e.details.rule }).toEqual({ what, code: 'INVALID_ARGUMENT', rule: 'require-merge' })
      expect(e.message).toMatch(/^branch 'main' is protected with --require-merge: a direct .* is refused$/)
      expect(e.hint).toContain('dv merge change --into main')
    }
    for (const [what, p] of [['reset', () => repo.reset('main~1', { force: true })], ['restore', () => repo.restoreBranch('main@{1}', { force: true })]] as const) {
      const e = await failure(p())
      expect({ what, code: e.code, rule: e.details.rule }).toEqual({ what, code: 'INVALID_ARGUMENT', rule: 'protected' })
    }
    await repo.checkout('dev')
    const del = await failure(repo.deleteBranch('main'))
    expect(del.code).toBe('INVALID_ARGUMENT')
    expect(del.message).toBe("branch 'main' is protected: deleting it is refused")
    expect(del.hint).toBe('run `dv branch unprotect main` first if you really mean it')
    await repo.checkout('main')
    expect(await stateOf(root)).toEqual(before)
    // write-audit-publish: the way in is a merge
    const merged = await repo.merge('dev')
    expect(merged.status).toBe('fast-forward')
    expect((await repo.listBranches()).find((b) => b.name === 'main')).toMatchObject({ snapshot: dev, protection: { requireChecks: false, requireMerge: true } })
    await repo.close()
  })

  it('is obeyed by a second client on the same store, and unprotecting lets direct writes in again', async () => {
    const { repo, root } = await setUp('second-client', { requireMerge: true })
    const other = await Repository.open(`file://${join(root, '.dv')}`, { author: 'bob' })
    const e = await failure(other.write('orders', await csv('9,DE\n'), { commit: true, message: 'direct', branch: 'main' }))
    expect(e.details.rule).toBe('require-merge')
    await repo.unprotectBranch('main')
    await other.write('orders', await csv('9,DE\n'), { commit: true, message: 'direct', branch: 'main' })
    await other.close()
    await repo.close()
  })

  it('refuses at the ref update when the branch became protected after the request checked (the check in updateRef)', async () => {
    // a store whose first read of `settings` answers "none yet": the request's early check passes, as it
    // would when another client protects the branch right after it; the ref update must still refuse
    const storage = createMemoryStorage()
    const admin = await Repository.fromStorage(storage, { init: true, author: 'ann' })
    await admin.createBranch('checked')
    await admin.write('orders', await csv('1,DE\n'), { commit: true, message: 'load' })
    await admin.protectBranch('main', { requireMerge: true, requireChecks: true })
    await admin.protectBranch('checked', { requireChecks: true })
    const input = await csv('2,DE\n')
    for (const [rule, attempt] of [
      ['require-checks', (r: Repository) => r.write('orders', input, { commit: true, message: 'late', branch: 'checked', verify: false })],
      ['require-checks', (r: Repository) => r.merge('main', { into: 'checked', noFf: true, verify: false })],
    ] as const) {
      let hidden = false
      const racing: Storage = {
        ...storage,
        refs: { ...storage.refs, get: async (name) => (name === 'settings' && !hidden ? ((hidden = true), undefined) : storage.refs.get(name)) },
      }
      const late = await Repository.fromStorage(racing, { author: 'bob' })
      const e = await failure(attempt(late))
      expect(e.details.rule).toBe(rule)
      await late.close()
    }
    for (const attempt of [
      (r: Repository) => r.write('orders', input, { commit: true, message: 'late' }),
      (r: Repository) => r.commit({ message: 'late', allowEmpty: true }),
      (r: Repository) => r.revert('main'),
    ]) {
      let hidden = false
      const racing: Storage = {
        ...storage,
        refs: { ...storage.refs, get: async (name) => (name === 'settings' && !hidden ? ((hidden = true), undefined) : storage.refs.get(name)) },
      }
      const late = await Repository.fromStorage(racing, { author: 'bob' })
      const before = JSON.stringify(await admin.listBranches())
      const e = await failure(attempt(late))
      expect(e.details.rule).toBe('require-merge')
      expect(hidden).toBe(true)
      expect(JSON.stringify(await admin.listBranches())).toBe(before)
      await late.close()
    }
    await admin.close()
  })
})

describe('--no-verify', () => {
  it('skips the contracts on an unprotected branch and says so', async () => {
    const { repo } = await setUp('no-verify', {})
    await repo.unprotectBranch('main')
    const bad = await csv('5,france\n')
    expect((await failure(repo.write('orders', bad, { commit: true, message: 'bad' }))).code).toBe('QUALITY')
    const result = await repo.write('orders', bad, { commit: true, message: 'bad', verify: false })
    expect(result.commit?.checks).toBe('skipped')
    await repo.createBranch('side', 'main~1')
    await repo.write('orders', await csv('6,spain\n'), { commit: true, message: 'bad too', branch: 'side', verify: false })
    await repo.checkout('dev')
    expect((await failure(repo.merge('side'))).code).toBe('QUALITY')
    expect((await repo.merge('side', { verify: false })).checks).toBe('skipped')
    await repo.close()
  })

  it('is overridden on a branch protected with --require-checks: the contracts run, a failure is QUALITY, a pass lands', async () => {
    const { repo, root } = await setUp('require-checks', { requireChecks: true })
    const before = await stateOf(root)
    const e = await failure(repo.write('orders', await csv('5,france\n'), { commit: true, message: 'bad', verify: false }))
    expect(e.code).toBe('QUALITY')
    await repo.write('orders', await csv('5,xx\n'), { branch: 'dev', commit: true, message: 'bad on dev', verify: false })
    expect((await failure(repo.merge('dev', { verify: false }))).code).toBe('QUALITY')
    expect(await stateOf(root).then((s) => Object.keys(s).filter((k) => !k.includes('dev')).map((k) => [k, s[k]]))).toEqual(Object.keys(before).filter((k) => !k.includes('dev')).map((k) => [k, before[k]]))
    const good = await repo.write('orders', await csv('8,PL\n'), { commit: true, message: 'good', verify: false })
    expect(good.commit?.checks).toBe('required')
    await repo.close()
  })
})

describe('the settings', () => {
  it('record every change (who, when, old and new) as a chain of objects and in the reflog of `settings`, and survive gc', async () => {
    let t = Date.UTC(2026, 0, 1)
    const root = join(dir, 'history')
    const repo = await Repository.init(root, { author: 'ann', now: () => (t += 1000) })
    expect(await repo.protectedBranches()).toEqual({})
    const first = await repo.protectBranch('main', { requireChecks: true })
    expect(first).toMatchObject({ branch: 'main', previous: null, protection: { requireChecks: true, requireMerge: false } })
    expect((await repo.protectBranch('main', { requireChecks: true })).settings).toBeNull() // no change, nothing written
    const second = await repo.protectBranch('main', { requireChecks: true, requireMerge: true })
    await repo.unprotectBranch('main')
    const history = await repo.settingsHistory()
    expect(history.map((v) => [v.message, v.author, Object.keys(v.protectedBranches)])).toEqual([
      ['branch unprotect main', 'ann', []],
      ['branch protect main --require-checks --require-merge', 'ann', ['main']],
      ['branch protect main --require-checks', 'ann', ['main']],
    ])
    expect(history[1]!.id).toBe(second.settings)
    expect(history[2]).toMatchObject({ id: first.settings, parent: null })
    const entries = await readdir(join(root, '.dv', 'reflog', 'settings'))
    expect(entries).toHaveLength(3)
    expect((await failure(repo.unprotectBranch('main'))).code).toBe('NOT_FOUND')
    expect((await failure(repo.protectBranch('nope'))).code).toBe('NOT_FOUND')
    await repo.gc({ graceMs: 0, force: true })
    expect((await repo.settingsHistory()).length).toBe(3)
    expect((await repo.verify()).problems).toEqual([])
    await repo.close()
  })
})
