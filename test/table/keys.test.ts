/**
 * Primary keys (format-spec/table-metadata.md#primary-key): `setKey` checks
 * the data and refuses with counts; every write to a keyed table is checked
 * (nulls, repeats within the input, keys the table holds), upserts use the
 * key, and concurrent writers cannot slip a duplicate in.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import { createMemoryStorage, wrapCounting } from '../../src/store/index.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-keys-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function csv(rows: string, header = 'id,day,name'): Promise<string> {
  const path = join(dir, `in-${++n}.csv`)
  await writeFile(path, `${header}\n${rows}`)
  return path
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

async function rows(repo: Repository, table = 'users', at?: string): Promise<string[]> {
  const out = new TextSink()
  await repo.cat(table, out, { format: 'csv', ...(at ? { at } : {}) })
  return out.text.trim().split('\n').slice(1).sort()
}

/** A repository with table users (id long, day date, name string), partitioned by day, keyed by id when `key`. */
async function users(name: string, key = true): Promise<Repository> {
  const repo = await Repository.init(join(dir, name), { author: 'ann' })
  await repo.write('users', await csv('1,2026-01-01,ann\n2,2026-01-01,bob\n3,2026-01-02,cid\n'), { commit: true, message: 'load', partitionBy: 'day' })
  if (key) await repo.setKey('users', ['id'])
  return repo
}

describe('setKey', () => {
  it('sets the key as its own commit: columns required, kind v3, shown by show; the same key again changes nothing', async () => {
    const repo = await users('set', false)
    const before = await repo.resolve('main')
    const r = await repo.setKey('users', ['id'])
    expect(r).toMatchObject({ table: 'users', key: ['id'], changed: true, commit: { parents: [before], message: 'set primary key of users to id', tables: { users: { operation: 'schema', addedRows: 0 } } } })
    const info = (await repo.show('main', 'users')).table!
    expect(info.primaryKey).toEqual(['id'])
    expect(info.columns.find((c) => c.name === 'id')!.required).toBe(true)
    const object = async (id: string) => JSON.parse(await readFile(join(dir, 'set', '.dv', 'objects', id.slice(0, 2), id), 'utf8'))
    const meta = await object((await object(await repo.resolve('main'))).tables.users)
    expect(meta).toMatchObject({ kind: 'dv:table:v3', 'identifier-field-ids': [1] })
    expect((await repo.reflog()).entries[0]!.message).toBe('commit: set primary key of users to id')
    expect(await repo.setKey('users', ['id'])).toEqual({ table: 'users', key: ['id'], changed: false })
    expect(await rows(repo)).toEqual(['1,2026-01-01,ann', '2,2026-01-01,bob', '3,2026-01-02,cid'])
    await repo.close()
  })

  it('refuses nulls and duplicates in the current data, reporting how many; bad names and types; nothing is committed', async () => {
    const repo = await Repository.init(join(dir, 'refuse'), { author: 'ann' })
    await repo.write('t', await csv('1,2026-01-01,a\n1,2026-01-01,b\n2,2026-01-02,c\n2,2026-01-03,d\n2,2026-01-03,e\n,2026-01-04,f\n,2026-01-04,g\n', 'id,day,name'), { commit: true, message: 'bad data' })
    await repo.write('f', await csv('1.5\n', 'x'), { commit: true, message: 'float' })
    const head = await repo.resolve('main')
    const logged = (await repo.reflog()).entries.length
    const nulls = await failure(repo.setKey('t', ['id']))
    expect(nulls).toMatchObject({ code: 'INVALID_ARGUMENT', details: { nulls: { id: 2 } } })
    expect(nulls.message).toMatch(/'id' has 2 null value\(s\)/)
    const dups = await failure(repo.setKey('t', ['day']))
    expect(dups).toMatchObject({ code: 'INVALID_ARGUMENT', details: { duplicateKeys: 3, rows: 6 } })
    expect(dups.message).toMatch(/3 key\(s\) occur more than once, in 6 rows \(e\.g\. day='2026-01-0[134]'\)/)
    expect((await failure(repo.setKey('nope', ['id']))).code).toBe('NOT_FOUND')
    expect((await failure(repo.setKey('t', ['nope']))).message).toMatch(/table 't' has no column 'nope'/)
    expect((await failure(repo.setKey('f', ['x']))).message).toMatch(/is double; a key column cannot be float or double/)
    expect((await failure(repo.setKey('t', []))).code).toBe('INVALID_ARGUMENT')
    expect((await failure(repo.setKey('t', ['day', 'day']))).message).toMatch(/named twice/)
    expect(await repo.resolve('main')).toBe(head)
    expect((await repo.reflog()).entries).toHaveLength(logged)
    expect((await repo.setKey('t', ['day', 'name'])).changed).toBe(true) // the pairs are unique
    expect((await repo.show('main', 't')).table!.primaryKey).toEqual(['day', 'name'])
  })
})

describe('writes to a keyed table', () => {
  it('refuse a null key, a key repeated in the input, and a key the table holds (with the count and an example); new keys land', async () => {
    const repo = await users('append')
    const head = await repo.resolve('main')
    const nulls = await failure(repo.write('users', await csv('4,2026-01-03,dan\n,2026-01-03,eve\n'), { commit: true, message: 'x' }))
    expect(nulls).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/key column 'id' is null in 1 row/) })
    const twice = await failure(repo.write('users', await csv('4,2026-01-03,dan\n4,2026-01-03,dan2\n'), { commit: true, message: 'x' }))
    expect(twice.message).toMatch(/duplicate key id=4 occurs 2 times/)
    expect(twice.hint).toMatch(/primary key id/)
    const existing = await failure(repo.write('users', await csv('2,2026-01-05,bob2\n3,2026-01-05,cid2\n9,2026-01-05,new\n'), { commit: true, message: 'x' }))
    expect(existing).toMatchObject({ code: 'INVALID_ARGUMENT', details: { keys: 2, rows: 2 } })
    expect(existing.message).toMatch(/2 key\(s\) of .* already exist in table 'users' \(primary key id\), e\.g\. id=[23]/)
    expect(existing.hint).toMatch(/--mode upsert/)
    expect(await repo.resolve('main')).toBe(head)
    await repo.write('users', await csv('4,2026-01-03,dan\n'), { commit: true, message: 'dan' })
    expect(await rows(repo)).toHaveLength(4)
    await repo.close()
  })

  it('checks a staged write against the changes staged before it, within one commit', async () => {
    const repo = await users('staged')
    await repo.write('users', await csv('5,2026-01-03,eve\n'))
    expect((await failure(repo.write('users', await csv('5,2026-01-04,eve2\n')))).message).toMatch(/id=5/)
    await repo.write('users', await csv('6,2026-01-04,fay\n'))
    await repo.commit({ message: 'two appends' })
    expect(await rows(repo)).toHaveLength(5)
    await repo.close()
  })

  it('upsert uses the table key when --key is omitted; another --key is refused', async () => {
    const repo = await users('upsert')
    await repo.write('users', await csv('2,2026-01-01,bobby\n7,2026-01-02,gus\n'), { mode: 'upsert', commit: true, message: 'upsert' })
    expect(await rows(repo)).toEqual(['1,2026-01-01,ann', '2,2026-01-01,bobby', '3,2026-01-02,cid', '7,2026-01-02,gus'])
    const other = await failure(repo.write('users', await csv('2,2026-01-01,x\n'), { mode: 'upsert', key: ['name'], commit: true, message: 'x' }))
    expect(other).toMatchObject({ code: 'INVALID_ARGUMENT', message: "--key name is not the primary key of table 'users', which is id" })
    await repo.write('users', await csv('2,2026-01-01,bob\n'), { mode: 'upsert', key: ['id'], commit: true, message: 'same key named' })
    await repo.close()
  })

  it('replace-partitions and overwrite --where may re-add the keys they remove, not keys the table keeps', async () => {
    const repo = await users('rows')
    // day 2026-01-01 holds ids 1 and 2; id 3 lives on 2026-01-02
    await repo.write('users', await csv('1,2026-01-01,ann2\n2,2026-01-01,bob2\n'), { mode: 'replace-partitions', commit: true, message: 'replace day 1' })
    expect((await failure(repo.write('users', await csv('3,2026-01-01,cid?\n'), { mode: 'replace-partitions', commit: true, message: 'x' }))).message).toMatch(/id=3/)
    await repo.write('users', await csv('3,2026-01-02,cid2\n'), { mode: 'overwrite', where: 'id = 3', commit: true, message: 'redo 3' })
    expect((await failure(repo.write('users', await csv('1,2026-01-02,x\n'), { mode: 'overwrite', where: "day = '2026-01-02'", commit: true, message: 'x' }))).message).toMatch(/id=1/)
    await repo.write('users', await csv('8,2026-01-09,new\n'), { mode: 'overwrite', commit: true, message: 'full overwrite: only its input counts' })
    expect(await rows(repo)).toEqual(['8,2026-01-09,new'])
    await repo.close()
  })

  it('reads only the files whose key range may hold an input key', async () => {
    const storage = wrapCounting(createMemoryStorage())
    const repo = await Repository.fromStorage(storage, { init: true, author: 'ann' })
    for (const i of [0, 1, 2, 3, 4]) await repo.write('users', await csv(`${i * 10 + 1},2026-01-01,a\n${i * 10 + 2},2026-01-01,b\n`), { commit: true, message: `f${i}` })
    await repo.setKey('users', ['id'])
    storage.resetCounts()
    await repo.write('users', await csv('23,2026-01-01,c\n'), { commit: true, message: 'no candidate' }) // no file's id range [i1, i2] holds 23
    const none = storage.counts.localPath
    storage.resetCounts()
    expect((await failure(repo.write('users', await csv('32,2026-01-01,dup\n'), { commit: true, message: 'x' }))).message).toMatch(/id=32/)
    expect({ none, one: storage.counts.localPath }).toEqual({ none: 0, one: 1 })
    await repo.close()
  })
})

describe('keys and concurrent writers', () => {
  it('an append staged before a concurrent commit added a file in its key range conflicts (key-may-repeat); one out of range rebases', async () => {
    const root = join(dir, 'race')
    const repo = await Repository.init(root, { author: 'ann' })
    await repo.write('users', await csv('1,2026-01-01,ann\n'), { commit: true, message: 'load' })
    await repo.setKey('users', ['id'])
    const other = await Repository.open(`file://${join(root, '.dv')}`, { author: 'bob' }) // the same store, no workspace: commits at once
    await repo.write('users', await csv('5,2026-01-01,eve\n'))
    await other.write('users', await csv('5,2026-01-02,eve-too\n'), { commit: true, message: 'concurrent', branch: 'main' })
    const conflict = await failure(repo.commit({ message: 'late' }))
    expect(conflict).toMatchObject({ code: 'CONFLICT', details: { rule: 'key-may-repeat' } })
    await repo.unstage()
    await repo.write('users', await csv('100,2026-01-01,far\n'))
    await other.write('users', await csv('6,2026-01-02,near\n'), { commit: true, message: 'concurrent 2', branch: 'main' })
    await repo.commit({ message: 'rebased' })
    expect(await rows(repo)).toHaveLength(4)
    await other.close()
    await repo.close()
  })

  it('a write planned before the key was set conflicts when it lands after (key-changed)', async () => {
    const root = join(dir, 'race-key')
    const repo = await Repository.init(root, { author: 'ann' })
    await repo.write('users', await csv('1,2026-01-01,ann\n'), { commit: true, message: 'load' })
    await repo.write('users', await csv('1,2026-01-02,ann-again\n')) // staged while users has no key
    const bare = await Repository.open(`file://${join(root, '.dv')}`, { author: 'bob' })
    await bare.setKey('users', ['id'])
    expect(await failure(repo.commit({ message: 'late' }))).toMatchObject({ code: 'CONFLICT', details: { rule: 'key-changed' } })
    await bare.close()
    await repo.close()
  })
})
