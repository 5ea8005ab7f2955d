/**
 * Criss-cross merges (format-spec/merge.md#merge-base): main and `b` each
 * change, each is merged into the other (from the other's head before that
 * merge), both change again, then `b` is merged into main. Those two heads
 * have two best common ancestors; dv merges them into a virtual base and
 * merges against it, so what each base changed is not seen as changed on
 * both sides (no duplicated rows, no spurious conflicts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository, type DvError, type WriteOptions } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'
import { hashFiles } from '../support/file-hashes.js'

let dir: string
let seq = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-criss-cross-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const day = (d: number, id: number, v = `r${id}`) => `${id},2026-01-0${d} 10:00:00,${v}`
type Change = { rows?: string[]; options: WriteOptions }
const append = (...rows: string[]): Change => ({ rows, options: { mode: 'append' } })
const replace = (...rows: string[]): Change => ({ rows, options: { mode: 'replace-partitions' } })
const upsert = (...rows: string[]): Change => ({ rows, options: { mode: 'upsert' } })
const del = (where: string): Change => ({ options: { mode: 'delete', where } })

async function write(repo: Repository, branch: string, change: Change): Promise<string> {
  let source: string | undefined
  if (change.rows) {
    source = join(dir, `in-${seq++}.csv`)
    await writeFile(source, `id,ts,v\n${change.rows.map((r) => `${r}\n`).join('')}`)
  }
  const r = await repo.write('events', source, { ...change.options, branch, commit: true, message: `${change.options.mode} on ${branch}` })
  return r.commit!.snapshot
}

async function rows(repo: Repository, at: string): Promise<string[]> {
  const sink = new TextSink()
  await repo.cat('events', sink, { at, format: 'csv', columns: ['id', 'v'] })
  return sink.text.trim().split('\n').slice(1).sort((a, b) => Number(a.split(',')[0]) - Number(b.split(',')[0]))
}

interface Story {
  /** First changes: main's (m1), then b's (b1), so b1 is the newer best common ancestor. */
  m1: Change
  b1: Change
  /** A change on b after b1, before b merges m1: b's crossing merge is then not the virtual base itself, whose files no commit holds. */
  b1x?: Change
  /** Second changes, after the criss-cross. */
  m2?: Change
  b2?: Change
  /** The strategy the two crossing merges use (their changes conflict). */
  crossStrategy?: 'ours' | 'theirs'
}

/** ids 1-3 on day 1, 4-6 on day 2, 7-9 on day 3, partitioned by day(ts); then the story up to the final merge's inputs. */
async function criss(name: string, story: Story, key = false): Promise<{ repo: Repository; m1: string; b1: string }> {
  const repo = await Repository.init(join(dir, name), { author: 'criss' })
  const all = [1, 2, 3].map((i) => day(1, i)).concat([4, 5, 6].map((i) => day(2, i)), [7, 8, 9].map((i) => day(3, i)))
  const path = join(dir, `in-${seq++}.csv`)
  await writeFile(path, `id,ts,v\n${all.map((r) => `${r}\n`).join('')}`)
  await repo.write('events', path, { partitionBy: 'day(ts)', commit: true, message: 'base' })
  if (key) await repo.setKey('events', ['id'])
  await repo.createBranch('b')
  const m1 = await write(repo, 'main', story.m1)
  const b1 = await write(repo, 'b', story.b1)
  if (story.b1x) await write(repo, 'b', story.b1x)
  const strategy = story.crossStrategy ? { strategy: story.crossStrategy } : {}
  expect((await repo.merge(b1, { into: 'main', ...strategy })).status).toBe('merged')
  expect((await repo.merge(m1, { into: 'b', ...strategy })).status).toBe('merged')
  if (story.m2) await write(repo, 'main', story.m2)
  if (story.b2) await write(repo, 'b', story.b2)
  return { repo, m1, b1 }
}

describe('merge after criss-cross merges: against the virtual merge of the bases', () => {
  it('appends on both sides, before and after the crossing: each row once', async () => {
    const { repo, m1, b1 } = await criss('appends', { m1: append(day(1, 10)), b1: append(day(2, 20)), m2: append(day(1, 11)), b2: append(day(3, 21)) })
    const dry = await repo.merge('b', { dryRun: true })
    expect(dry).toMatchObject({ status: 'merged', bases: [b1, m1] })
    const r = await repo.merge('b')
    expect(r.status).toBe('merged')
    expect(r.bases).toEqual([b1, m1])
    expect(r.tables).toEqual(dry.tables)
    expect(r.tables.events).toMatchObject({ addedRows: 1, removedRows: 0 })
    expect((await rows(repo, 'main')).map((x) => Number(x.split(',')[0]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 20, 21])
    await repo.close()
  }, 60_000)

  it('a partition replaced by one base and appended to afterwards: no spurious conflict', async () => {
    const { repo } = await criss('replace', { m1: replace(day(1, 40)), b1: append(day(2, 20)), m2: append(day(1, 41)), b2: append(day(3, 21)) })
    const r = await repo.merge('b')
    expect(r.status).toBe('merged')
    expect(await rows(repo, 'main')).toEqual(['4,r4', '5,r5', '6,r6', '7,r7', '8,r8', '9,r9', '20,r20', '21,r21', '40,r40', '41,r41'])
    await repo.close()
  }, 60_000)

  it('deletes on both sides after a crossing delete: each applied once, no spurious conflict', async () => {
    const { repo } = await criss('deletes', { m1: del('id = 2'), b1: append(day(2, 20)), m2: append(day(1, 11)), b2: del('id = 5') })
    const r = await repo.merge('b')
    expect(r.status).toBe('merged')
    expect((await rows(repo, 'main')).map((x) => Number(x.split(',')[0]))).toEqual([1, 3, 4, 6, 7, 8, 9, 11, 20])
    await repo.close()
  }, 60_000)

  it('a real conflict after the crossing is still one', async () => {
    const { repo } = await criss('real-conflict', { m1: append(day(1, 10)), b1: append(day(2, 20)), m2: replace(day(3, 30)), b2: replace(day(3, 31)) })
    const before = await repo.resolve('main')
    const e = await repo.merge('b').catch((x: DvError) => x)
    expect(e).toMatchObject({ code: 'CONFLICT' })
    expect((e as DvError).details).toMatchObject({ conflicts: [{ table: 'events', rule: 'file-removed' }] })
    expect(await repo.resolve('main')).toBe(before)
    await repo.close()
  }, 60_000)

  it('keyed: a key a base changed and one side changed again takes that side, no key conflict', async () => {
    const { repo } = await criss('keyed', { m1: upsert(day(1, 1, 'm')), b1: upsert(day(2, 4, 'b')), m2: upsert(day(1, 1, 'm2')), b2: upsert(day(3, 7, 'b2')) }, true)
    const r = await repo.merge('b')
    expect(r.status).toBe('merged')
    expect(await rows(repo, 'main')).toEqual(['1,m2', '2,r2', '3,r3', '4,b', '5,r5', '6,r6', '7,b2', '8,r8', '9,r9'])
    await repo.close()
  }, 60_000)

  it.each([
    // the bases change keys of one partition: merging them writes a data file
    ['keyed', { m1: upsert(day(1, 1, 'm')), b1: upsert(day(1, 2, 'b')), b1x: upsert(day(1, 3, 'bx')), m2: upsert(day(1, 1, 'm2')), b2: upsert(day(1, 2, 'b2')) }, true],
    ['appended', { m1: append(day(1, 10)), b1: append(day(2, 20)), m2: append(day(1, 11)), b2: append(day(3, 21)) }, false],
  ] as const)('a dry run through the virtual base (%s) leaves every file of the repository byte-identical, and reports what the real run does', async (name, story, key) => {
    const { repo } = await criss(`dry-${name}`, story, key)
    const root = join(dir, `dry-${name}`)
    await repo.close()
    const before = await hashFiles(root, ['.'])
    const reopened = await Repository.open(root)
    const dry = await reopened.merge('b', { dryRun: true })
    await reopened.close()
    expect(dry).toMatchObject({ status: 'merged', dryRun: true, snapshot: '' })
    expect(await hashFiles(root, ['.'])).toEqual(before)
    const again = await Repository.open(root)
    const real = await again.merge('b')
    // the real run lands what the dry run reported
    expect(real.tables).toEqual(dry.tables)
    expect({ ...dry, snapshot: real.snapshot, dryRun: false }).toEqual(real)
    if (key) expect(await rows(again, 'main')).toEqual(['1,m2', '2,b2', '3,bx', '4,r4', '5,r5', '6,r6', '7,r7', '8,r8', '9,r9'])
    await again.close()
  }, 60_000)

  it('bases that conflict with each other: refused (CONFLICT), saying so, nothing changed', async () => {
    const { repo, m1, b1 } = await criss('bases-conflict', { m1: replace(day(1, 40)), b1: replace(day(1, 50)), m2: append(day(2, 11)), b2: append(day(3, 21)), crossStrategy: 'ours' })
    const before = { main: await repo.resolve('main'), reflog: (await repo.reflog('main')).entries.length }
    const e = await repo.merge('b').catch((x: DvError) => x) as DvError
    expect(e.code).toBe('CONFLICT')
    expect(e.retryable).toBe(false)
    expect(e.message).toContain(`2 best common ancestors (${b1.slice(0, 7)}, ${m1.slice(0, 7)}`)
    expect(e.message).toContain("merging them with each other conflicts in 'events'")
    expect(e.hint).toMatch(/nothing was changed/)
    expect(await repo.resolve('main')).toBe(before.main)
    expect((await repo.reflog('main')).entries).toHaveLength(before.reflog)
    const dry = await repo.merge('b', { dryRun: true }).catch((x: DvError) => x)
    expect(dry).toMatchObject({ code: 'CONFLICT' })
    await repo.close()
  }, 60_000)
})
