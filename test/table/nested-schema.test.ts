/**
 * Nested columns through the library: schema evolution on append (a struct
 * gains a field; older files read it as NULL), `alterTable` (add, rename,
 * drop, widen at any depth, each a commit; every refusal changes nothing),
 * time travel across each step, --where/--columns on nested paths with
 * pruning by nested stats, copy-on-write deletes, and the schema tree of
 * `show` and the text of `tableSchema`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository, type AlterTableChange, type ColumnStats } from '../../src/index.js'
import * as arrow from 'apache-arrow'
import { TextSink } from '../support/text-sink.js'

async function rows(repo: Repository, table: string, opts: Parameters<Repository['cat']>[2] = {}): Promise<unknown[]> {
  const sink = new TextSink()
  await repo.cat(table, sink, { format: 'ndjson', ...opts })
  return sink.text.split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

function flat(columns: ColumnStats[]): ColumnStats[] {
  return columns.flatMap((c) => [c, ...flat(c.fields ?? [])])
}

let dir: string
let repo: Repository
const ndjson = (...lines: object[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n'

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-nested-schema-'))
  await writeFile(join(dir, 'a.ndjson'), ndjson(
    { id: 1, p: { user: { id: 10, name: 'ann' }, n: 1 }, tags: ['x', 'y'] },
    { id: 2, p: null, tags: [] },
  ))
  // the next batch adds p.user.email and drops nothing: old files read it as NULL
  await writeFile(join(dir, 'b.ndjson'), ndjson({ id: 3, p: { user: { id: 30, name: 'cy', email: 'c@x' }, n: 3 }, tags: null }, { id: 4, p: null, tags: ['z'] }))
  await writeFile(join(dir, 'bad.ndjson'), ndjson({ id: 4, p: { user: 'not a struct', n: 1 }, tags: [] }))
  repo = await Repository.init(join(dir, 'lake'), { author: 'test' })
  await repo.write('ev', join(dir, 'a.ndjson'), { commit: true, message: 'a' })
  await repo.write('ev', join(dir, 'b.ndjson'), { commit: true, message: 'b' })
})
afterAll(async () => {
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

describe('nested columns through the library', () => {
  it('adds a field inside a struct on append; older files read it as NULL', async () => {
    expect((await repo.tableSchema('ev')).text).toBe('id long, p struct<user: struct<id: long, name: string, email: string>, n: long>, tags list<string>')
    expect(await rows(repo, 'ev')).toEqual([
      { id: 1, p: { user: { id: 10, name: 'ann', email: null }, n: 1 }, tags: ['x', 'y'] },
      { id: 2, p: null, tags: [] },
      { id: 3, p: { user: { id: 30, name: 'cy', email: 'c@x' }, n: 3 }, tags: null },
      { id: 4, p: null, tags: ['z'] },
    ])
    expect((await repo.tableSchema('ev', { at: 'main~1' })).text).toBe('id long, p struct<user: struct<id: long, name: string>, n: long>, tags list<string>')
  })

  it('refuses an input whose nested type differs, naming the column and both types, and writes nothing', async () => {
    const before = await repo.resolve('main')
    const err = await repo.write('ev', join(dir, 'bad.ndjson'), { commit: true, message: 'bad' }).catch((e) => e)
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(err.message).toContain('p.user')
    expect(err.message).toContain('struct<id: long')
    expect(await repo.resolve('main')).toBe(before)
  })

  it('filters and projects fields inside structs, pruning files by their stats', async () => {
    const sink = new TextSink()
    const result = await repo.cat('ev', sink, { format: 'csv', where: 'p.user.id >= 30', columns: ['id', 'p.user.name'] })
    expect(sink.text).toBe('id,p.user.name\n3,cy\n')
    expect(result.filesPruned).toBe(1)
    expect(await rows(repo, 'ev', { where: 'p.n IS NULL', columns: ['id'] })).toEqual([{ id: 2 }, { id: 4 }])
    await expect(rows(repo, 'ev', { where: "tags = 'x'" })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('tags') })
    await expect(rows(repo, 'ev', { columns: ['tags.element'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('shows the schema tree with ids, types and stats of every field', async () => {
    const info = (await repo.show('main', 'ev')).table!
    const byPath = new Map(flat(info.columns).map((c) => [c.path, c]))
    expect([...byPath.keys()]).toEqual(['id', 'p', 'p.user', 'p.user.id', 'p.user.name', 'p.user.email', 'p.n', 'tags', 'tags.element'])
    expect(byPath.get('p')).toMatchObject({ type: 'struct<user: struct<id: long, name: string, email: string>, n: long>', nulls: 2 })
    expect(byPath.get('p.user.id')).toMatchObject({ type: 'long', min: '10', max: '30', nulls: 2 })
    expect(byPath.get('p.user.email')).toMatchObject({ min: 'c@x', max: 'c@x', nulls: 3 })
    expect(byPath.get('tags')).toMatchObject({ nulls: 1 })
    expect(byPath.get('tags.element')).toMatchObject({ min: 'x', max: 'z', nulls: 0 })
    expect(new Set([...byPath.values()].map((c) => c.id)).size).toBe(9)
  })

  it('alters the schema at any depth, one commit each, and time travel returns every old schema and its values', async () => {
    const steps: Array<{ change: AlterTableChange; schema: string; first: unknown }> = [
      { change: { action: 'rename-column', path: 'p.user.name', name: 'login' },
        schema: 'id long, p struct<user: struct<id: long, login: string, email: string>, n: long>, tags list<string>',
        first: { id: 1, p: { user: { id: 10, login: 'ann', email: null }, n: 1 }, tags: ['x', 'y'] } },
      { change: { action: 'add-column', path: 'p.user.age', type: 'int' },
        schema: 'id long, p struct<user: struct<id: long, login: string, email: string, age: int>, n: long>, tags list<string>',
        first: { id: 1, p: { user: { id: 10, login: 'ann', email: null, age: null }, n: 1 }, tags: ['x', 'y'] } },
      { change: { action: 'widen', path: 'p.user.age', type: 'long' },
        schema: 'id long, p struct<user: struct<id: long, login: string, email: string, age: long>, n: long>, tags list<string>',
        first: { id: 1, p: { user: { id: 10, login: 'ann', email: null, age: null }, n: 1 }, tags: ['x', 'y'] } },
      { change: { action: 'drop-column', path: 'p.user.email' },
        schema: 'id long, p struct<user: struct<id: long, login: string, age: long>, n: long>, tags list<string>',
        first: { id: 1, p: { user: { id: 10, login: 'ann', age: null }, n: 1 }, tags: ['x', 'y'] } },
      { change: { action: 'add-column', path: 'extra', type: 'map<string, list<int>>' },
        schema: 'id long, p struct<user: struct<id: long, login: string, age: long>, n: long>, tags list<string>, extra map<string, list<int>>',
        first: { id: 1, p: { user: { id: 10, login: 'ann', age: null }, n: 1 }, tags: ['x', 'y'], extra: null } },
    ]
    const start = await repo.resolve('main')
    const seen: Array<{ snapshot: string; schema: string; first: unknown }> = [
      { snapshot: start, schema: (await repo.tableSchema('ev')).text, first: (await rows(repo, 'ev'))[0] },
    ]
    for (const step of steps) {
      const result = await repo.alterTable('ev', step.change)
      expect(result.schema).toBe(step.schema)
      expect(result.commit.tables.ev).toMatchObject({ operation: 'schema', addedFiles: 0, removedFiles: 0 })
      expect((await rows(repo, 'ev'))[0]).toEqual(step.first)
      seen.push({ snapshot: result.commit.snapshot, schema: step.schema, first: step.first })
    }
    // the renamed field keeps its data in the file written before the rename; the dropped one is gone
    expect((await rows(repo, 'ev'))[2]).toMatchObject({ p: { user: { id: 30, login: 'cy', age: null } } })
    for (const s of seen) {
      expect((await repo.tableSchema('ev', { at: s.snapshot })).text).toBe(s.schema)
      expect((await rows(repo, 'ev', { at: s.snapshot }))[0]).toEqual(s.first)
    }
    expect(await rows(repo, 'ev', { where: "p.user.login = 'cy'", columns: ['id'] })).toEqual([{ id: 3 }])
  })

  it.each<[string, AlterTableChange, string]>([
    ['rename to an existing name', { action: 'rename-column', path: 'p.user.login', name: 'ID' }, 'already exists'],
    ['rename a list element', { action: 'rename-column', path: 'tags.element', name: 'item' }, 'no name of its own'],
    ['add a column that exists', { action: 'add-column', path: 'p.n', type: 'int' }, 'already exists'],
    ['add inside a list', { action: 'add-column', path: 'tags.x', type: 'int' }, 'not a struct'],
    ['add a required column to a table with rows', { action: 'add-column', path: 'r', type: 'int', required: true }, 'has rows'],
    ['add a type that does not parse', { action: 'add-column', path: 'q', type: 'struct<a int' }, 'column'],
    ['drop a map key', { action: 'drop-column', path: 'extra.key' }, 'cannot be dropped on its own'],
    ['drop a column that does not exist', { action: 'drop-column', path: 'p.nope' }, 'p.nope'],
    ['narrow long to int', { action: 'widen', path: 'p.n', type: 'int' }, 'from long to int'],
    ['widen to the same type', { action: 'widen', path: 'id', type: 'long' }, 'already is long'],
    ['widen a nested column', { action: 'widen', path: 'tags', type: 'long' }, 'tags'],
    ['widen string to long', { action: 'widen', path: 'p.user.login', type: 'long' }, 'from string to long'],
  ])('refuses to %s (exit 2) and commits nothing', async (_what, change, says) => {
    const before = await repo.resolve('main')
    const err = await repo.alterTable('ev', change).catch((e) => e)
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(err.message).toContain(says)
    expect(await repo.resolve('main')).toBe(before)
  })

  it('refuses to drop a partition source, and to alter a table with staged changes', async () => {
    await writeFile(join(dir, 'part.ndjson'), ndjson({ id: 1, day: '2026-01-02', s: { a: 1 } }))
    await repo.write('pt', join(dir, 'part.ndjson'), { commit: true, message: 'pt', partitionBy: 'day' })
    const before = await repo.resolve('main')
    await expect(repo.alterTable('pt', { action: 'drop-column', path: 'day' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('partition') })
    await expect(repo.alterTable('pt', { action: 'drop-column', path: 's.a' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('only field') })
    await repo.write('pt', join(dir, 'part.ndjson'))
    await expect(repo.alterTable('pt', { action: 'add-column', path: 's.b', type: 'int' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('staged') })
    expect(await repo.resolve('main')).toBe(before)
    await repo.commit({ message: 'second pt' })
  })

  it('deletes rows by a nested predicate, copy-on-write, keeping the nested values of the others', async () => {
    await repo.delete('ev', 'p.user.id = 10', { commit: true, message: 'delete ann' })
    // the rewritten file lands after the untouched one: compare in id order
    expect((await rows(repo, 'ev', { columns: ['id', 'p'] }) as Array<{ id: number }>).sort((a, b) => a.id - b.id)).toEqual([
      { id: 2, p: null },
      { id: 3, p: { user: { id: 30, login: 'cy', age: null }, n: 3 } },
      { id: 4, p: null },
    ])
  })

  it('ingests Arrow data with nested columns and gives it back as Arrow', async () => {
    const input = arrow.tableFromJSON([{ id: 1, p: { a: 1.5, b: 'x' } }, { id: 2, p: { a: 2.5, b: null } }])
    await repo.write('arr', input, { commit: true, message: 'arrow' })
    expect((await repo.tableSchema('arr')).text).toBe('id double, p struct<a: double, b: string>')
    const batches: arrow.RecordBatch[] = []
    for await (const b of repo.scan('arr')) batches.push(b)
    const table = new arrow.Table(batches)
    expect([...table.getChild('id')!]).toEqual([1, 2])
    const p = table.getChild('p')!
    expect([0, 1].map((i) => ({ ...p.get(i)!.toJSON() }))).toEqual([{ a: 1.5, b: 'x' }, { a: 2.5, b: null }])
  })
})
