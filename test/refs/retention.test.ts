/**
 * Retention policies (format-spec/retention.md#policy) through the library on
 * the memory store: each limit is parsed by its own rule (days may end in d,
 * commits may not), a refusal names the flag, the value and the way forward
 * and writes nothing; a policy is stored in the settings (branches by name,
 * protection kept), a change that changes nothing writes nothing, and each
 * change is one settings version named after the command.
 */
import { describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import type { ObjectId } from '../../src/ids.js'
import { parseSettings, SETTINGS_REF } from '../../src/format/index.js'
import { parseRetentionOptions, removeRetention, type RetentionSetOptions } from '../../src/refs/retention.js'
import { createMemoryStorage } from '../../src/store/index.js'
import type { Storage } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { landsBeforeSettingsChange } from './settings-race.js'

const HINT = 'give --keep-days N (days, e.g. 7 or 7d) and/or --keep-last N (commits), each a whole number of at least 1'
const WHOLE = ': expected a whole number of at least 1'
const DAYS = ': retention counts whole days (a number, or a number followed by d)'

async function fresh(): Promise<{ repo: Repository; storage: Storage }> {
  const storage = createMemoryStorage()
  let t = Date.UTC(2026, 3, 1)
  const repo = await Repository.fromStorage(storage, { init: true, now: () => (t += 1000), author: 'ann' })
  return { repo, storage }
}

/** The settings object the ref `settings` names, as stored. */
async function stored(storage: Storage) {
  const ref = await storage.refs.get(SETTINGS_REF)
  return parseSettings(await storage.objects.get(ref!.snapshot as string as ObjectId))
}

describe('parseRetentionOptions', () => {
  it.each<[RetentionSetOptions, { keepDays: number | null; keepLast: number | null }]>([
    [{ keepDays: 7 }, { keepDays: 7, keepLast: null }],
    [{ keepLast: 3 }, { keepDays: null, keepLast: 3 }],
    [{ keepDays: 1, keepLast: 1 }, { keepDays: 1, keepLast: 1 }],
    [{ keepDays: '7d', keepLast: '10' }, { keepDays: 7, keepLast: 10 }],
    [{ keepDays: ' 14 ', keepLast: ' 2 ' }, { keepDays: 14, keepLast: 2 }],
    [{ keepDays: ' 30d\n' }, { keepDays: 30, keepLast: null }],
    [{ keepDays: undefined, keepLast: '5' }, { keepDays: null, keepLast: 5 }],
  ])('%o is %o', (options, policy) => {
    expect(parseRetentionOptions(options)).toEqual(policy)
  })

  it.each<[RetentionSetOptions, string, 'keep-days' | 'keep-last', unknown]>([
    [{ keepDays: 0 }, `invalid --keep-days 0${WHOLE}`, 'keep-days', 0],
    [{ keepDays: -3 }, `invalid --keep-days -3${WHOLE}`, 'keep-days', -3],
    [{ keepDays: 1.5 }, `invalid --keep-days 1.5${WHOLE}`, 'keep-days', 1.5],
    [{ keepDays: '0' }, `invalid --keep-days "0"${WHOLE}`, 'keep-days', '0'],
    [{ keepDays: '1.5' }, `invalid --keep-days "1.5"${WHOLE}`, 'keep-days', '1.5'],
    [{ keepDays: 'soon' }, `invalid --keep-days "soon"${WHOLE}`, 'keep-days', 'soon'],
    [{ keepDays: 'd' }, `invalid --keep-days "d"${WHOLE}`, 'keep-days', 'd'],
    [{ keepDays: 'x7d' }, `invalid --keep-days "x7d"${WHOLE}`, 'keep-days', 'x7d'],
    [{ keepDays: '7dd' }, `invalid --keep-days "7dd"${DAYS}`, 'keep-days', '7dd'],
    [{ keepDays: '7d!' }, `invalid --keep-days "7d!"${WHOLE}`, 'keep-days', '7d!'],
    [{ keepDays: '7h' }, `invalid --keep-days "7h"${DAYS}`, 'keep-days', '7h'],
    [{ keepDays: '7 Weeks' }, `invalid --keep-days "7 Weeks"${DAYS}`, 'keep-days', '7 Weeks'],
    [{ keepDays: '14days' }, `invalid --keep-days "14days"${DAYS}`, 'keep-days', '14days'],
    [{ keepDays: 'a7h' }, `invalid --keep-days "a7h"${WHOLE}`, 'keep-days', 'a7h'],
    [{ keepDays: '7h2' }, `invalid --keep-days "7h2"${WHOLE}`, 'keep-days', '7h2'],
    [{ keepDays: '99999999999999999999' }, `invalid --keep-days "99999999999999999999"${WHOLE}`, 'keep-days', '99999999999999999999'],
    [{ keepLast: '0' }, `invalid --keep-last "0"${WHOLE}`, 'keep-last', '0'],
    [{ keepLast: '3d' }, `invalid --keep-last "3d"${WHOLE}`, 'keep-last', '3d'],
    [{ keepLast: '7h' }, `invalid --keep-last "7h"${WHOLE}`, 'keep-last', '7h'],
    [{ keepLast: 'x3' }, `invalid --keep-last "x3"${WHOLE}`, 'keep-last', 'x3'],
    [{ keepLast: '3x' }, `invalid --keep-last "3x"${WHOLE}`, 'keep-last', '3x'],
    [{ keepDays: 2, keepLast: 0 }, `invalid --keep-last 0${WHOLE}`, 'keep-last', 0],
    [{ keepDays: 'never', keepLast: 2 }, `invalid --keep-days "never"${WHOLE}`, 'keep-days', 'never'],
  ])('%o is refused: %s', async (options, message, flag, value) => {
    const e = await catchDvError(async () => parseRetentionOptions(options))
    expect({ code: e.code, message: e.message, hint: e.hint, details: e.details }).toEqual({ code: 'INVALID_ARGUMENT', message, hint: HINT, details: { flag, value } })
  })

  it('refuses a policy without either limit, naming why', async () => {
    for (const options of [{}, { keepDays: undefined, keepLast: undefined }]) {
      const e = await catchDvError(async () => parseRetentionOptions(options))
      expect({ code: e.code, message: e.message, hint: e.hint }).toEqual({
        code: 'INVALID_ARGUMENT',
        message: 'retention set needs --keep-days or --keep-last (or both): a policy that keeps nothing would expire every commit',
        hint: HINT,
      })
    }
  })
})

describe('setRetention, removeRetention and retention()', () => {
  it('stores each branch policy and the default, writes nothing for no change, and names each version after its command', async () => {
    const { repo, storage } = await fresh()
    expect(await repo.retention()).toEqual({ default: null, branches: {} })
    await repo.createBranch('dev')
    await repo.createBranch('alpha')

    const first = await repo.setRetention('main', { keepDays: '7d', keepLast: 3 })
    expect(first).toEqual({ branch: 'main', policy: { keepDays: 7, keepLast: 3 }, previous: null, settings: (await storage.refs.get(SETTINGS_REF))!.snapshot })
    expect((await stored(storage)).retention).toEqual({ default: null, branches: { main: { keepDays: 7, keepLast: 3 } } })

    expect(await repo.setRetention('dev', { keepLast: '2' })).toMatchObject({ branch: 'dev', policy: { keepDays: null, keepLast: 2 }, previous: null })
    expect(await repo.setRetention('alpha', { keepDays: 1 })).toMatchObject({ branch: 'alpha', policy: { keepDays: 1, keepLast: null }, previous: null })
    const def = await repo.setRetention(null, { keepLast: 5 })
    expect(def).toMatchObject({ branch: null, policy: { keepDays: null, keepLast: 5 }, previous: null })
    expect(def.settings).toMatch(/^[0-9a-f]{64}$/)
    // stored with the branches by name, whatever order they were set in
    const object = await stored(storage)
    expect(Object.keys(object.retention!.branches)).toEqual(['alpha', 'dev', 'main'])
    expect(object.retention).toEqual({
      default: { keepDays: null, keepLast: 5 },
      branches: { alpha: { keepDays: 1, keepLast: null }, dev: { keepDays: null, keepLast: 2 }, main: { keepDays: 7, keepLast: 3 } },
    })
    expect(await repo.retention()).toEqual(object.retention)

    // the same policy again: nothing written
    const versions = (await repo.settingsHistory()).length
    expect(await repo.setRetention('main', { keepDays: 7, keepLast: '3' })).toEqual({
      branch: 'main', policy: { keepDays: 7, keepLast: 3 }, previous: { keepDays: 7, keepLast: 3 }, settings: null,
    })
    expect(await repo.setRetention(null, { keepLast: 5 })).toEqual({
      branch: null, policy: { keepDays: null, keepLast: 5 }, previous: { keepDays: null, keepLast: 5 }, settings: null,
    })
    expect((await repo.settingsHistory()).length).toBe(versions)

    // one limit changed, either one: a new version
    expect(await repo.setRetention('main', { keepDays: 7, keepLast: 4 })).toMatchObject({ previous: { keepDays: 7, keepLast: 3 }, policy: { keepDays: 7, keepLast: 4 } })
    expect(await repo.setRetention('main', { keepDays: 8, keepLast: 4 })).toMatchObject({ previous: { keepDays: 7, keepLast: 4 }, policy: { keepDays: 8, keepLast: 4 } })
    expect(await repo.setRetention('main', { keepLast: 4 })).toMatchObject({ previous: { keepDays: 8, keepLast: 4 }, policy: { keepDays: null, keepLast: 4 } })
    expect(await repo.setRetention(null, { keepDays: 9, keepLast: 5 })).toMatchObject({ previous: { keepDays: null, keepLast: 5 }, policy: { keepDays: 9, keepLast: 5 } })

    const removed = await repo.removeRetention('dev')
    expect(removed).toEqual({ branch: 'dev', policy: null, previous: { keepDays: null, keepLast: 2 }, settings: (await storage.refs.get(SETTINGS_REF))!.snapshot })
    expect(await repo.retention()).toEqual({
      default: { keepDays: 9, keepLast: 5 },
      branches: { alpha: { keepDays: 1, keepLast: null }, main: { keepDays: null, keepLast: 4 } },
    })
    expect(await repo.removeRetention(null)).toMatchObject({ branch: null, policy: null, previous: { keepDays: 9, keepLast: 5 } })
    expect(await repo.retention()).toEqual({ default: null, branches: { alpha: { keepDays: 1, keepLast: null }, main: { keepDays: null, keepLast: 4 } } })
    await repo.removeRetention('alpha')
    await repo.removeRetention('main')
    expect(await repo.retention()).toEqual({ default: null, branches: {} })
    expect((await stored(storage)).retention).toBeUndefined() // an empty policy set is not written at all

    expect((await repo.settingsHistory()).map((v) => [v.message, v.author])).toEqual([
      ['retention rm main', 'ann'],
      ['retention rm alpha', 'ann'],
      ['retention rm --default', 'ann'],
      ['retention rm dev', 'ann'],
      ['retention set --default --keep-days 9 --keep-last 5', 'ann'],
      ['retention set main --keep-last 4', 'ann'],
      ['retention set main --keep-days 8 --keep-last 4', 'ann'],
      ['retention set main --keep-days 7 --keep-last 4', 'ann'],
      ['retention set --default --keep-last 5', 'ann'],
      ['retention set alpha --keep-days 1', 'ann'],
      ['retention set dev --keep-last 2', 'ann'],
      ['retention set main --keep-days 7 --keep-last 3', 'ann'],
    ])
    await repo.close()
  })

  it('keeps the protection when a policy changes, and a default when a branch policy is set or removed', async () => {
    const { repo, storage } = await fresh()
    await repo.protectBranch('main', { requireMerge: true })
    await repo.setRetention(null, { keepDays: 3 })
    await repo.setRetention('main', { keepLast: 6 })
    expect(await stored(storage)).toMatchObject({
      protectedBranches: { main: { requireChecks: false, requireMerge: true } },
      retention: { default: { keepDays: 3, keepLast: null }, branches: { main: { keepDays: null, keepLast: 6 } } },
    })
    await repo.removeRetention('main')
    expect(await stored(storage)).toMatchObject({
      protectedBranches: { main: { requireChecks: false, requireMerge: true } },
      retention: { default: { keepDays: 3, keepLast: null }, branches: {} },
    })
    expect(await repo.retention()).toEqual({ default: { keepDays: 3, keepLast: null }, branches: {} })
    await repo.close()
  })

  it('retention() returns a copy: changing it changes nothing stored', async () => {
    const { repo } = await fresh()
    await repo.setRetention('main', { keepLast: 2 })
    const shown = await repo.retention()
    delete shown.branches.main
    expect(await repo.retention()).toEqual({ default: null, branches: { main: { keepDays: null, keepLast: 2 } } })
    await repo.close()
  })

  it('refuses a missing branch, a bad branch name and a bad limit before anything is written', async () => {
    const { repo, storage } = await fresh()
    const missing = await catchDvError(() => repo.setRetention('nope', { keepLast: 1 }))
    expect({ code: missing.code, message: missing.message, hint: missing.hint }).toEqual({
      code: 'NOT_FOUND', message: "branch 'nope' does not exist",
      hint: 'create it first (`dv branch NAME`), or leave the branch out to set the repository default',
    })
    const name = await catchDvError(() => repo.setRetention('a..b', { keepLast: 1 }))
    expect([name.code, name.message]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/^invalid branch name 'a\.\.b': /)])
    // the limits are checked first: a bad limit on a missing branch is the limit's error
    const limit = await catchDvError(() => repo.setRetention('nope', { keepLast: 'x' }))
    expect([limit.code, limit.message]).toEqual(['INVALID_ARGUMENT', `invalid --keep-last "x"${WHOLE}`])
    expect(await storage.refs.get(SETTINGS_REF)).toBeUndefined()
    expect(await repo.settingsHistory()).toEqual([])
    await repo.close()
  })

  it('writes nothing when another client removed the policy between the check and the change', async () => {
    const { repo, storage } = await fresh()
    await repo.setRetention('main', { keepLast: 2 })
    await repo.setRetention(null, { keepLast: 3 })
    const before = (await repo.settingsHistory()).map((v) => v.id)
    for (const branch of ['main', null]) {
      const racing = landsBeforeSettingsChange(storage, () => removeRetention({ storage, now: () => Date.UTC(2026, 3, 2), author: 'bob' }, branch))
      const r = await removeRetention({ storage: racing, now: () => Date.UTC(2026, 3, 2), author: 'ann' }, branch)
      expect(r).toEqual({ branch, policy: null, previous: null, settings: null })
    }
    const after = await repo.settingsHistory()
    expect(after.slice(0, 2).map((v) => [v.message, v.author])).toEqual([['retention rm --default', 'bob'], ['retention rm main', 'bob']])
    expect(after.slice(2).map((v) => v.id)).toEqual(before)
    await repo.close()
  })

  it('refuses to remove a policy that is not there, whether no settings, only a default, or only branch policies exist', async () => {
    const { repo, storage } = await fresh()
    const noBranch = (b: string) => ({ code: 'NOT_FOUND', message: `branch '${b}' has no retention policy of its own`, hint: 'see `dv retention show`' })
    const noDefault = { code: 'NOT_FOUND', message: 'there is no repository default retention policy', hint: 'see `dv retention show`' }
    const refusal = async (branch: string | null) => {
      const e = await catchDvError(() => repo.removeRetention(branch))
      return { code: e.code, message: e.message, hint: e.hint }
    }
    expect(await refusal('main')).toEqual(noBranch('main'))
    expect(await refusal(null)).toEqual(noDefault)
    await repo.protectBranch('main') // settings without retention
    expect(await refusal('main')).toEqual(noBranch('main'))
    expect(await refusal(null)).toEqual(noDefault)
    await repo.setRetention(null, { keepLast: 2 }) // only a default
    expect(await refusal('main')).toEqual(noBranch('main'))
    await repo.removeRetention(null)
    await repo.setRetention('main', { keepLast: 2 }) // only a branch policy
    expect(await refusal(null)).toEqual(noDefault)
    expect(await refusal('dev')).toEqual(noBranch('dev'))
    expect(await refusal('toString')).toEqual(noBranch('toString'))
    const bad = await catchDvError(() => repo.removeRetention('a..b'))
    expect([bad.code, bad.message]).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/^invalid branch name 'a\.\.b': /)])
    const versions = (await repo.settingsHistory()).map((v) => v.id)
    expect((await storage.refs.get(SETTINGS_REF))!.snapshot).toBe(versions[0])
    expect(versions).toHaveLength(4)
    await repo.close()
  })
})
