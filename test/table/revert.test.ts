/**
 * dv revert and dv cherry-pick through the library (format-spec/merge.md),
 * and the merge refusals: bad input says why, with its documented code, and
 * changes no ref and no reflog.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository, type DvError, type WriteOptions } from '../../src/index.js'
import { createMemoryStorage } from '../../src/store/index.js'
import type { Snapshot } from '../../src/format/types.js'
import { readSnapshot, writeSnapshot } from '../../src/table/context.js'
import { repoContext } from '../support/changes.js'
import { TextSink } from '../support/text-sink.js'
import { hashFiles } from '../support/file-hashes.js'

let dir: string
let seq = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-revert-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const day = (d: number, id: number, v = `r${id}`) => `${id},2026-01-0${d} 10:00:00,${v}`
async function csv(rows: string[]): Promise<string> {
  const path = join(dir, `in-${seq++}.csv`)
  await writeFile(path, `id,ts,v\n${rows.map((r) => `${r}\n`).join('')}`)
  return path
}

async function content(repo: Repository, at = 'main'): Promise<string[]> {
  const sink = new TextSink()
  await repo.cat('events', sink, { at, format: 'csv' })
  return sink.text.trim().split('\n').slice(1).sort()
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

async function base(name: string): Promise<Repository> {
  const repo = await Repository.init(join(dir, name), { author: 'revert' })
  await repo.write('events', await csv([day(1, 1), day(1, 2), day(2, 3), day(2, 4)]), { partitionBy: 'day(ts)', commit: true, message: 'base' })
  await repo.write('events', await csv([day(3, 5)]), { commit: true, message: 'more' })
  return repo
}

/** Refs and reflog entry counts of every branch: what a refusal must leave as it was. */
async function refState(repo: Repository): Promise<string> {
  const branches = await repo.listBranches()
  const logs = await Promise.all(branches.map(async (b) => `${b.name}:${(await repo.reflog(b.name)).entries.length}`))
  return JSON.stringify([branches, logs])
}

const MODES: Array<[string, string[] | undefined, WriteOptions]> = [
  ['append', [day(1, 10)], { mode: 'append' }],
  ['overwrite', [day(1, 10)], { mode: 'overwrite' }],
  ['overwrite --where', [day(1, 2, 'changed')], { mode: 'overwrite', where: 'id = 2' }],
  ['replace-partitions', [day(2, 10)], { mode: 'replace-partitions' }],
  ['delete', undefined, { mode: 'delete', where: 'id = 3' }],
  ['upsert', [day(1, 2, 'changed'), day(3, 11)], { mode: 'upsert', key: ['id'] }],
]

describe('revert', () => {
  it.each(MODES)('of %s restores the previous content exactly', async (mode, rows, options) => {
    const repo = await base(`mode-${mode.replace(/\W+/g, '-')}`)
    const before = await content(repo)
    const previous = await repo.resolve('main')
    await repo.write('events', rows ? await csv(rows) : undefined, { ...options, commit: true, message: mode })
    expect(await content(repo)).not.toEqual(before)
    const r = await repo.revert('main')
    expect(r).toMatchObject({ status: 'applied', branch: 'main', message: `revert "${mode}"\n\nThis reverts commit ${r.rev}.` })
    expect(await content(repo)).toEqual(before)
    // the same data files as before the write: a revert re-lists them, it copies nothing
    expect((await repo.diff({ from: previous, to: 'main' })).tables).toEqual([])
    expect((await repo.reflog('main')).entries[0]!.message).toBe(`revert: ${r.rev.slice(0, 7)} ${mode}`)
    await repo.close()
  }, 60_000)

  it('is checked against what came after: a later change elsewhere stays, a later change of the same partition conflicts', async () => {
    const repo = await base('after')
    const target = (await repo.write('events', await csv([day(1, 10)]), { mode: 'replace-partitions', commit: true, message: 'replace day 1' })).commit!.snapshot
    await repo.write('events', await csv([day(2, 20)]), { commit: true, message: 'append day 2' })
    const dry = await repo.revert(target, { dryRun: true })
    expect(dry.status).toBe('applied')
    await repo.revert(target)
    expect((await content(repo)).map((r) => r.split(',')[0])).toEqual(['1', '2', '20', '3', '4', '5'])

    const again = (await repo.write('events', await csv([day(1, 30)]), { mode: 'replace-partitions', commit: true, message: 'replace day 1 again' })).commit!.snapshot
    await repo.write('events', await csv([day(1, 31)]), { commit: true, message: 'append day 1' })
    const state = await refState(repo)
    const e = await failure(repo.revert(again))
    expect(e.code).toBe('CONFLICT')
    expect((e.details as { conflicts: Array<{ rule: string }> }).conflicts[0]!.rule).toBe('partitions-changed')
    expect(await refState(repo)).toBe(state)
    await repo.close()
  }, 60_000)

  it('of a merge commit needs -m PARENT; -m 1 undoes what the merge brought', async () => {
    const repo = await base('merge-commit')
    const before = await content(repo)
    await repo.createBranch('b')
    await repo.write('events', await csv([day(1, 10)]), { branch: 'b', commit: true, message: 'on b' })
    await repo.write('events', await csv([day(2, 20)]), { commit: true, message: 'on main' })
    const merged = await repo.merge('b')
    expect(merged.status).toBe('merged')
    const state = await refState(repo)
    const e = await failure(repo.revert('main'))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/is a merge commit with 2 parents/)
    expect(e.hint).toMatch(/-m 1/)
    expect((await failure(repo.revert('main', { mainline: 3 }))).code).toBe('INVALID_ARGUMENT')
    expect((await failure(repo.revert('main~1', { mainline: 2 }))).message).toMatch(/not a merge commit/)
    expect(await refState(repo)).toBe(state)
    await repo.revert('main', { mainline: 1 })
    expect((await content(repo)).map((r) => r.split(',')[0])).toEqual([...before.map((r) => r.split(',')[0]), '20'].sort())
    await repo.close()
  }, 60_000)
})

describe('cherry-pick', () => {
  it('applies a commit of another branch; picking it again is empty and refused unless --allow-empty', async () => {
    const repo = await base('pick')
    await repo.createBranch('b')
    const pick = (await repo.write('events', await csv([day(3, 10)]), { branch: 'b', commit: true, message: 'fix on b' })).commit!.snapshot
    await repo.write('events', await csv([day(1, 20)]), { commit: true, message: 'on main' })
    const r = await repo.cherryPick(pick)
    expect(r).toMatchObject({ status: 'applied', message: 'fix on b' })
    expect((await content(repo)).map((x) => x.split(',')[0])).toContain('10')
    const head = await repo.resolve('main')
    const state = await refState(repo)
    const e = await failure(repo.cherryPick(pick))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/changes nothing on branch 'main': its changes are already there/)
    expect(e.hint).toMatch(/--allow-empty/)
    expect(await refState(repo)).toBe(state)
    const empty = await repo.cherryPick(pick, { allowEmpty: true })
    expect(empty.tables).toEqual({})
    expect((await repo.log({ limit: 1 }))[0]!.parents).toEqual([head])
    await repo.close()
  }, 60_000)
})

describe('--dry-run of revert and cherry-pick', () => {
  // keyed, and both sides change keys of partition day 1: the apply is by key and writes a data file,
  // whose rows and bytes the dry run's summary must count as the real run's does
  it.each(['revert', 'cherry-pick'] as const)('%s --dry-run of a by-key apply leaves every file of the repository byte-identical and reports what the real run does', async (kind) => {
    const name = `dry-${kind}`
    const root = join(dir, name)
    const repo = await base(name)
    await repo.setKey('events', ['id'])
    await repo.createBranch('b')
    const rev = (await repo.write('events', await csv([day(1, 1, 'changed')]), { mode: 'upsert', branch: kind === 'revert' ? 'main' : 'b', commit: true, message: 'key 1' })).commit!.snapshot
    await repo.write('events', await csv([day(1, 2, 'later')]), { mode: 'upsert', commit: true, message: 'key 2' })
    await repo.close()
    const before = await hashFiles(root, ['.'])
    const run = async (dryRun: boolean) => {
      const r = await Repository.open(root)
      try {
        return await (kind === 'revert' ? r.revert(rev, { dryRun }) : r.cherryPick(rev, { dryRun }))
      } finally {
        await r.close()
      }
    }
    const dry = await run(true)
    expect(dry).toMatchObject({ status: 'applied', dryRun: true, snapshot: '' })
    // no object, ref, reflog entry or workspace file was written
    expect(await hashFiles(root, ['.'])).toEqual(before)
    const real = await run(false)
    expect(real.tables.events!.addedFiles).toBe(1)
    expect(real.tables).toEqual(dry.tables)
    expect({ ...dry, snapshot: real.snapshot, dryRun: false }).toEqual(real)
    const after = await Repository.open(root)
    expect(await content(after)).toEqual([day(1, 1, kind === 'revert' ? 'r1' : 'changed'), day(1, 2, 'later'), day(2, 3), day(2, 4), day(3, 5)].sort())
    await after.close()
  }, 60_000)
})

describe('merge: refusals and bookkeeping', () => {
  it('refuses bad input with its code, changing nothing', async () => {
    const repo = await base('refusals')
    await repo.createBranch('b')
    await repo.write('events', await csv([day(1, 10)]), { branch: 'b', commit: true, message: 'on b' })
    const state = await refState(repo)
    const itself = await failure(repo.merge('main'))
    expect([itself.code, itself.message]).toEqual(['INVALID_ARGUMENT', "cannot merge branch 'main' into itself"])
    const unknown = await failure(repo.merge('nope'))
    expect(unknown.code).toBe('NOT_FOUND')
    expect((await failure(repo.merge('b', { strategy: 'mine' as 'ours' }))).code).toBe('INVALID_ARGUMENT')
    await repo.write('events', await csv([day(2, 30)])) // staged on main
    const staged = await failure(repo.merge('b'))
    expect(staged.code).toBe('INVALID_ARGUMENT')
    expect(staged.message).toMatch(/branch 'main' has 1 staged change\(s\) \(to events\)/)
    expect(staged.hint).toMatch(/dv restore --staged/)
    expect(await refState(repo)).toBe(state)
    expect((await repo.status()).staged).toHaveLength(1)
    await repo.close()
  }, 60_000)

  it('refuses unrelated histories without allowUnrelated, and merges them against an empty base with it', async () => {
    const storage = createMemoryStorage()
    const repo = await Repository.fromStorage(storage, { init: true })
    await repo.write('events', await csv([day(1, 1)]), { commit: true, message: 'main' })
    const ctx = repoContext(storage)
    const other: Snapshot = { parents: [], timestampMs: 1, author: 'x', message: 'another root', tables: {}, summary: {} }
    await repo.createBranch('other', await writeSnapshot(ctx, other))
    await repo.write('other_table', await csv([day(2, 2)]), { branch: 'other', commit: true, message: 'on other' })
    const before = await repo.resolve('main')
    const e = await failure(repo.merge('other'))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/have no common history/)
    expect(e.hint).toMatch(/--allow-unrelated/)
    expect(await repo.resolve('main')).toBe(before)
    const r = await repo.merge('other', { allowUnrelated: true })
    expect(r).toMatchObject({ status: 'merged', base: null })
    const head = await readSnapshot(ctx, r.snapshot as never)
    expect(Object.keys(head.tables).sort()).toEqual(['events', 'other_table'])
    await repo.close()
  })

  it('--no-ff makes a two-parent commit; idempotency keys of both sides stay findable', async () => {
    const repo = await base('no-ff')
    await repo.createBranch('b')
    const onB = await csv([day(1, 10)])
    await repo.write('events', onB, { branch: 'b', commit: true, message: 'on b', idempotencyKey: 'load-b' })
    const previous = await repo.resolve('main')
    const r = await repo.merge('b', { noFf: true, message: 'land b' })
    expect(r.status).toBe('merged')
    const [entry] = await repo.log({ limit: 1 })
    expect(entry).toMatchObject({ message: 'land b', parents: [previous, await repo.resolve('b')] })
    expect(r.tables.events).toMatchObject({ operation: 'append', addedRows: 1, removedRows: 0 })
    const replay = await repo.write('events', onB, { commit: true, message: 'retry', idempotencyKey: 'load-b' })
    expect(replay.commit!.idempotentReplay).toBe(true)
    expect(await repo.resolve('main')).toBe(r.snapshot)
    await repo.close()
  }, 60_000)

  it('--strategy ours|theirs resolves a conflicting partition by that side', async () => {
    const repo = await base('strategy')
    await repo.createBranch('b')
    await repo.write('events', await csv([day(2, 50)]), { branch: 'b', mode: 'replace-partitions', commit: true, message: 'b replaces day 2' })
    await repo.write('events', await csv([day(2, 40)]), { mode: 'replace-partitions', commit: true, message: 'main replaces day 2' })
    await repo.write('events', await csv([day(1, 41)]), { commit: true, message: 'main appends day 1' })
    await repo.createBranch('main2')
    const ids = async (at: string) => (await content(repo, at)).map((x) => Number(x.split(',')[0])).sort((a, b) => a - b)
    await repo.merge('b', { strategy: 'ours' })
    expect(await ids('main')).toEqual([1, 2, 5, 40, 41])
    await repo.merge('b', { into: 'main2', strategy: 'theirs' })
    expect(await ids('main2')).toEqual([1, 2, 5, 41, 50])
    await repo.close()
  }, 60_000)
})
