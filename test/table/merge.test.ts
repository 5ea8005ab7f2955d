/**
 * The three-way merge table of format-spec/merge.md, cell by cell, through
 * the library: a base commit on main, a branch `b` from it, a change on each
 * side, then `merge b` into main, which merges (with the expected rows) or
 * conflicts (naming the rule, and changing nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository, type DvError, type MergeConflict, type WriteOptions } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let seq = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-merge-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const day = (d: number, id: number, v = `r${id}`) => `${id},2026-01-0${d} 10:00:00,${v}`

async function csv(rows: string[], header = 'id,ts,v'): Promise<string> {
  const path = join(dir, `in-${seq++}.csv`)
  await writeFile(path, `${header}\n${rows.map((r) => `${r}\n`).join('')}`)
  return path
}

type Change = { rows?: string[]; header?: string; options: WriteOptions } | undefined

/** main: ids 1-3 on day 1, 4-6 on day 2, 7-9 on day 3, partitioned by day(ts); `b` branched there. */
async function scenario(name: string, key = false): Promise<Repository> {
  const repo = await Repository.init(join(dir, name), { author: 'merge' })
  const all = [1, 2, 3].map((i) => day(1, i)).concat([4, 5, 6].map((i) => day(2, i)), [7, 8, 9].map((i) => day(3, i)))
  await repo.write('events', await csv(all.slice(0, 6)), { partitionBy: 'day(ts)', commit: true, message: 'base 1' })
  await repo.write('events', await csv(all.slice(6)), { commit: true, message: 'base 2' })
  if (key) await repo.setKey('events', ['id'])
  await repo.createBranch('b')
  return repo
}

async function apply(repo: Repository, branch: string, change: Change): Promise<void> {
  if (!change) return
  const source = change.rows ? await csv(change.rows, change.header) : undefined
  await repo.write('events', source, { ...change.options, branch, commit: true, message: `${change.options.mode} on ${branch}` })
}

async function rows(repo: Repository, at: string, columns = ['id', 'v']): Promise<string[]> {
  const sink = new TextSink()
  await repo.cat('events', sink, { at, format: 'csv', columns })
  return sink.text.trim().split('\n').slice(1).sort((a, b) => Number(a.split(',')[0]) - Number(b.split(',')[0]) || a.localeCompare(b))
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

const ids = (r: string[]) => r.map((x) => Number(x.split(',')[0]))
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i)

interface Cell {
  name: string
  ours?: Change
  theirs: Change
  key?: boolean
  /** The ids (column id) after the merge, or the conflict rule. */
  want: { status: 'fast-forward' | 'merged'; ids: number[] } | { rule: string; partitions?: number }
}

const append = (rows: string[]): Change => ({ rows, options: { mode: 'append' } })
const replace = (rows: string[]): Change => ({ rows, options: { mode: 'replace-partitions' } })
const del = (where: string): Change => ({ options: { mode: 'delete', where } })

const CELLS: Cell[] = [
  { name: 'fast-forward: only the source changed', theirs: append([day(1, 10)]), want: { status: 'fast-forward', ids: [...range(1, 9), 10] } },
  { name: 'both append to one partition: appends combine', ours: append([day(1, 20)]), theirs: append([day(1, 10)]), want: { status: 'merged', ids: [...range(1, 9), 10, 20] } },
  { name: 'both append the same file: added once', ours: append([day(1, 10)]), theirs: append([day(1, 10)]), want: { status: 'merged', ids: [...range(1, 9), 10] } },
  { name: 'one side deletes, the other appends elsewhere', ours: append([day(3, 20)]), theirs: del('id = 2'), want: { status: 'merged', ids: [1, ...range(3, 9), 20] } },
  { name: 'one side deletes, the other appends to that partition', ours: append([day(1, 20)]), theirs: del('id = 2'), want: { rule: 'partitions-changed', partitions: 1 } },
  { name: 'both delete the same row: the same change, taken once', ours: del('id = 2'), theirs: del('id = 2'), want: { status: 'merged', ids: [1, ...range(3, 9)] } },
  { name: 'both delete in the same file, differently', ours: del('id = 3'), theirs: del('id = 2'), want: { rule: 'file-removed', partitions: 1 } },
  { name: 'both replace the same partition', ours: replace([day(2, 40)]), theirs: replace([day(2, 50)]), want: { rule: 'file-removed', partitions: 1 } },
  { name: 'replace-partitions vs an append to that partition', ours: append([day(2, 40)]), theirs: replace([day(2, 50)]), want: { rule: 'partitions-changed', partitions: 1 } },
  { name: 'disjoint partitions replaced on each side', ours: replace([day(1, 40)]), theirs: replace([day(2, 50), day(3, 60)]), want: { status: 'merged', ids: [40, 50, 60] } },
  { name: 'a delete and a replace in disjoint partitions', ours: del('id = 8'), theirs: replace([day(2, 50)]), want: { status: 'merged', ids: [1, 2, 3, 7, 9, 50] } },
]

describe('merge: the three-way table (files and partitions)', () => {
  it.each(CELLS.map((c, i) => [c.name, c, i] as const))('%s', async (_name, cell, i) => {
    const repo = await scenario(`cell-${i}`, cell.key)
    await apply(repo, 'b', cell.theirs)
    await apply(repo, 'main', cell.ours)
    const before = { main: await repo.resolve('main'), b: await repo.resolve('b'), reflog: (await repo.reflog('main')).entries.length }
    if ('rule' in cell.want) {
      const dry = await repo.merge('b', { dryRun: true })
      expect(dry.status).toBe('conflict')
      const e = await failure(repo.merge('b'))
      expect(e.code).toBe('CONFLICT')
      const conflicts = (e.details as { conflicts: MergeConflict[] }).conflicts
      expect(conflicts).toEqual(dry.conflicts)
      expect(conflicts.map((c) => c.rule)).toEqual([cell.want.rule])
      if (cell.want.partitions !== undefined) expect(conflicts[0]!.partitions).toHaveLength(cell.want.partitions)
      expect(await repo.resolve('main')).toBe(before.main)
      expect(await repo.resolve('b')).toBe(before.b)
      expect((await repo.reflog('main')).entries).toHaveLength(before.reflog)
    } else {
      const dry = await repo.merge('b', { dryRun: true })
      expect(dry.status).toBe(cell.want.status)
      expect(await repo.resolve('main')).toBe(before.main)
      const r = await repo.merge('b')
      expect(r.status).toBe(cell.want.status)
      expect(r.tables).toEqual(dry.tables)
      expect(ids(await rows(repo, 'main'))).toEqual(cell.want.ids.sort((a, b) => a - b))
      const head = (await repo.log({ limit: 1 }))[0]!
      if (r.status === 'merged') expect(head.parents).toEqual([before.main, before.b])
      expect((await repo.reflog('main')).entries[0]).toMatchObject({ message: 'merge: b', previous: before.main, snapshot: r.snapshot })
      expect((await repo.merge('b')).status).toBe('up-to-date')
    }
    await repo.close()
  }, 60_000)
})

const KEY_CELLS: Cell[] = [
  { name: 'keyed: both update the same key the same way', key: true, ours: upsert([day(1, 2, 'same')]), theirs: upsert([day(1, 2, 'same')]), want: { status: 'merged', ids: range(1, 9) } },
  { name: 'keyed: both update different keys of one file', key: true, ours: upsert([day(1, 3, 'ours')]), theirs: upsert([day(1, 2, 'theirs')]), want: { status: 'merged', ids: range(1, 9) } },
  { name: 'keyed: both update the same key differently', key: true, ours: upsert([day(1, 2, 'ours')]), theirs: upsert([day(1, 2, 'theirs')]), want: { rule: 'key-conflict', partitions: 1 } },
  { name: 'keyed: a delete against an update of the same key', key: true, ours: del('id = 2'), theirs: upsert([day(1, 2, 'theirs')]), want: { rule: 'key-conflict', partitions: 1 } },
  { name: 'keyed: a delete against an unchanged row and an update elsewhere in the file: a delete', key: true, ours: upsert([day(1, 3, 'ours')]), theirs: del('id = 2'), want: { status: 'merged', ids: [1, ...range(3, 9)] } },
  { name: 'keyed: a delete against an append to the same partition', key: true, ours: append([day(1, 20)]), theirs: del('id = 2'), want: { status: 'merged', ids: [1, ...range(3, 9), 20] } },
]

function upsert(rows: string[]): Change {
  return { rows, options: { mode: 'upsert' } }
}

describe('merge: the three-way table (keyed tables, by key)', () => {
  it.each(KEY_CELLS.map((c, i) => [c.name, c, i] as const))('%s', async (_name, cell, i) => {
    const repo = await scenario(`key-${i}`, true)
    await apply(repo, 'b', cell.theirs)
    await apply(repo, 'main', cell.ours)
    const before = { main: await repo.resolve('main'), reflog: (await repo.reflog('main')).entries.length }
    if ('rule' in cell.want) {
      const e = await failure(repo.merge('b'))
      expect(e.code).toBe('CONFLICT')
      const [c] = (e.details as { conflicts: MergeConflict[] }).conflicts
      expect(c).toMatchObject({ table: 'events', rule: 'key-conflict', keyCount: 1 })
      expect(c!.keys![0]!.key).toEqual({ id: 2 })
      expect(c!.keys![0]!.base).toMatchObject({ id: 2, v: 'r2' })
      expect(await repo.resolve('main')).toBe(before.main)
      expect((await repo.reflog('main')).entries).toHaveLength(before.reflog)
    } else {
      const r = await repo.merge('b')
      expect(r.status).toBe(cell.want.status)
      const got = await rows(repo, 'main')
      expect(ids(got)).toEqual(cell.want.ids)
      const ours = await rows(repo, before.main)
      const theirs = await rows(repo, 'b')
      // every row is ours' or theirs' version of it
      for (const row of got) expect(ours.includes(row) || theirs.includes(row)).toBe(true)
    }
    await repo.close()
  }, 60_000)
})
