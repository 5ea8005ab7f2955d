/**
 * Repository.diff / diffRows / diffRowsTo on a local repository: the
 * default sides (HEAD vs staged, one REV, two REVs, across branches), the
 * structured summary (status, rows, files, partitions, stats, schema), the
 * row-level change feed with attribution, and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let seq = 0
async function csv(header: string, rows: string[]): Promise<string> {
  const p = join(dir, `d-${seq++}.csv`)
  await writeFile(p, `${header}\n${rows.join('\n')}\n`)
  return p
}
const ev = (id: number, d: number, v = `v${id}`) => `${id},2026-01-0${d} 10:00:00,${v}`

async function feed(repo: Repository, table: string, options: Parameters<Repository['diffRowsTo']>[2] = {}): Promise<{ lines: string[]; result: Awaited<ReturnType<Repository['diffRowsTo']>> }> {
  const sink = new TextSink()
  const result = await repo.diffRowsTo(table, sink, { format: 'csv', ...options })
  return { lines: sink.text.trim().split('\n'), result }
}

let repo: Repository
let root: string
let base: string
let second: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-diff-'))
  root = join(dir, 'lake')
  repo = await Repository.init(root, { author: 'diff' })
  base = (await repo.write('events', await csv('id,ts,v', [ev(1, 1), ev(2, 1), ev(3, 2), ev(4, 3)]), { partitionBy: 'day(ts)', commit: true, message: 'base' })).commit!.snapshot
  await repo.write('users', await csv('name,age', ['ann,31']), { commit: true, message: 'users' })
  second = (await repo.delete('events', 'id = 2', { commit: true, message: 'drop 2' })).commit!.snapshot
  await repo.write('events', await csv('id,ts,v,n', [`5,2026-01-02 11:00:00,v5,7`]), { commit: true, message: 'add 5' })
})
afterAll(async () => {
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

describe('Repository.diff', () => {
  it('compares two revisions: status, rows, files, partitions, stats and schema', async () => {
    const d = await repo.diff({ from: base, to: 'main' })
    expect(d.from).toMatchObject({ rev: base, snapshot: base, staged: false })
    expect(d.tables.map((t) => [t.table, t.status])).toEqual([['events', 'modified'], ['users', 'created']])
    const events = d.tables[0]
    // the delete rewrote day 1's file (2 rows -> 1), the append added day 2's 5
    expect(events.rows).toEqual({ before: 4, after: 4, added: 2, removed: 2 })
    expect(events.files).toMatchObject({ added: 2, removed: 1 })
    expect(events.partitions).toEqual([
      { values: { ts_day: '2026-01-01' }, rowsAdded: 1, rowsRemoved: 2, filesAdded: 1, filesRemoved: 1 },
      { values: { ts_day: '2026-01-02' }, rowsAdded: 1, rowsRemoved: 0, filesAdded: 1, filesRemoved: 0 },
    ])
    expect(events.schema).toEqual([{ change: 'added', id: 4, path: 'n', type: 'long', required: false }])
    const id = events.columns.find((c) => c.path === 'id')!
    expect(id).toMatchObject({ added: { min: '1', max: '5' }, removed: { min: '1', max: '2' }, nulls: { added: 0, removed: 0 } })
    expect(events.columns.find((c) => c.path === 'n')).toMatchObject({ nulls: { added: 1, removed: 0 }, added: { min: '7', max: '7' } })
  })

  it('defaults to HEAD against the staged state, and one REV against HEAD', async () => {
    expect((await repo.diff()).tables).toEqual([])
    await repo.write('users', await csv('name,age', ['bob,42']))
    const staged = await repo.diff()
    expect(staged.to).toMatchObject({ staged: true, snapshot: await repo.resolve('HEAD') })
    expect(staged.tables.map((t) => [t.table, t.rows.added])).toEqual([['users', 1]])
    const rows = await feed(repo, 'users')
    expect(rows.lines).toEqual(['name,age,_change,_snapshot', 'bob,42,insert,'])
    await repo.commit({ message: 'bob' })
    const one = await repo.diff({ from: 'HEAD~1' })
    expect(one.to).toMatchObject({ rev: 'HEAD', staged: false })
    expect(one.tables.map((t) => t.table)).toEqual(['users'])
    expect((await repo.diff({ from: 'HEAD~1', tables: ['events'] })).tables).toEqual([])
  })

  it('compares across branches and attributes rows only along a first-parent path', async () => {
    await repo.createBranch('fix', base)
    await repo.write('events', await csv('id,ts,v', [ev(9, 3)]), { branch: 'fix', commit: true, message: 'on fix' })
    const across = await repo.diff({ from: 'main', to: 'fix' })
    expect(across.tables.find((t) => t.table === 'users')?.status).toBe('dropped')
    const { lines } = await feed(repo, 'events', { from: 'main', to: 'fix', columns: ['id'] })
    // main is not an ancestor of fix: no commit on a first-parent path made these changes
    expect(lines.slice(1).sort()).toEqual(['2,insert,', '5,delete,', '9,insert,'])
    const fixHead = await repo.resolve('fix')
    const along = await feed(repo, 'events', { from: base, to: 'fix', columns: ['id'] })
    expect(along.lines.slice(1)).toEqual([`9,insert,${fixHead}`])
  })

  it('attributes each change to the commit that made it', async () => {
    const third = await repo.resolve('main~1') // 'add 5' (main: base, users, drop 2, add 5, bob)
    const { lines, result } = await feed(repo, 'events', { from: base, to: third, columns: ['id'] })
    expect(lines.slice(1)).toEqual([`2,delete,${second}`, `5,insert,${third}`])
    expect(result).toMatchObject({ rows: 2, inserted: 1, deleted: 1, updated: 0, key: null })
    const keyed = await feed(repo, 'events', { from: base, to: third, key: ['id'], where: 'id = 2' })
    expect(keyed.lines).toEqual(['id,ts,v,n,_change,_snapshot', `2,2026-01-01 10:00:00,v2,,delete,${second}`])
  })

  it('pairs updates by the table\'s primary key when no key is given', async () => {
    const k = await Repository.init(join(dir, 'keyed'), { author: 'diff' })
    try {
      const v1 = (await k.write('users', await csv('id,name', ['1,ann', '2,bob']), { commit: true, message: 'v1' })).commit!.snapshot
      await k.setKey('users', ['id'])
      const v2 = (await k.write('users', await csv('id,name', ['2,bea', '3,cid']), { mode: 'upsert', commit: true, message: 'v2' })).commit!.snapshot
      const { lines, result } = await feed(k, 'users', { from: v1, to: v2 })
      expect(result).toMatchObject({ inserted: 1, deleted: 0, updated: 1, key: ['id'] })
      expect(lines.slice(1)).toEqual([`2,bob,update_before,${v2}`, `2,bea,update_after,${v2}`, `3,cid,insert,${v2}`])
    } finally {
      await k.close()
    }
  })

  it('yields Arrow batches like scan', async () => {
    let rows = 0
    const names: string[] = []
    for await (const batch of repo.diffRows('events', { from: base, to: second })) {
      rows += batch.numRows
      names.push(...batch.schema.fields.map((f) => f.name))
    }
    expect(rows).toBe(1)
    expect(names).toEqual(['id', 'ts', 'v', '_change', '_snapshot'])
  })

  it('refuses bad input and changes nothing', async () => {
    const before = await countObjects()
    await expect(repo.diff({ from: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(repo.diff({ from: base, tables: ['nosuch'] })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(repo.diff({ to: 'main' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(feed(repo, 'events', { from: base, where: 'nosuch = 1' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(feed(repo, 'events', { from: base, key: ['nosuch'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(feed(repo, 'events', { from: base, columns: ['nosuch'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(feed(repo, 'nosuch', { from: base })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await countObjects()).toBe(before)
  })

  it('splits operands like git and refuses an ambiguous one', async () => {
    expect(await repo.splitDiffOperands(['main~1', 'main', 'events'])).toEqual({ from: 'main~1', to: 'main', tables: ['events'] })
    expect(await repo.splitDiffOperands(['events', 'users'])).toEqual({ tables: ['events', 'users'] })
    await repo.createTag('users')
    await expect(repo.splitDiffOperands(['users'])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  // last: it moves main
  it('previews staged overwrites and new tables without writing anything', async () => {
    await repo.write('events', await csv('id,ts,v', [ev(7, 4)]), { mode: 'overwrite' })
    await repo.write('fresh', await csv('x', ['1', '2']))
    const objects = await countObjects()
    const d = await repo.diff()
    expect(d.tables.map((t) => [t.table, t.status, t.rows.added, t.rows.removed, t.rows.after])).toEqual([
      ['events', 'modified', 1, 4, 1], ['fresh', 'created', 2, 0, 2],
    ])
    const { lines } = await feed(repo, 'events', { columns: ['id'] })
    expect(lines.slice(1)).toEqual(['1,delete,', '3,delete,', '4,delete,', '5,delete,', '7,insert,'])
    expect(await countObjects()).toBe(objects)
    expect((await repo.status()).staged).toHaveLength(2)
    await repo.commit({ message: 'overwrite and fresh' })
    // what the preview showed is what the commit did
    expect((await repo.diff({ from: 'HEAD~1' })).tables).toEqual(d.tables.map((t) => ({ ...t })))
  })
})

async function countObjects(): Promise<number> {
  let n = 0
  for (const d of await readdir(join(root, '.dv', 'objects'))) n += (await readdir(join(root, '.dv', 'objects', d))).length
  return n
}
