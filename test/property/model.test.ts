/**
 * Model-based test: random sequences of write/commit/branch/tag/checkout and
 * time-travel reads run against a real repository (local store, real
 * DuckDB/Parquet) and against a plain in-memory model; every read must agree.
 */
import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'

type Rows = number[]
interface Commit { id: string; tables: Map<string, Rows> }
interface Model {
  branches: Map<string, Commit[]> // oldest first
  tags: Map<string, Commit>
  current: string
  staged: Array<{ table: string; mode: 'append' | 'overwrite'; rows: Rows }>
}
interface Real { repo: Repository; dir: string; seq: number }
const executed = { write: 0, read: 0, other: 0 }

async function readRows(real: Real, table: string, at: string): Promise<Rows | undefined> {
  const sink = new TextSink()
  try {
    await real.repo.cat(table, sink, { at, format: 'csv', columns: ['v'] })
  } catch (e) {
    if ((e as { code?: string }).code === 'NOT_FOUND') return undefined
    throw e
  }
  return sink.text.trim().split('\n').slice(1).map(Number).sort((a, b) => a - b)
}

async function csv(real: Real, rows: Rows): Promise<string> {
  const path = join(real.dir, `in-${real.seq++}.csv`)
  await writeFile(path, 'v\n' + rows.map((r) => `${r}\n`).join(''))
  return path
}

function applyStaged(base: Map<string, Rows>, staged: Model['staged']): Map<string, Rows> {
  const next = new Map([...base].map(([k, v]) => [k, [...v]]))
  for (const s of staged) next.set(s.table, s.mode === 'overwrite' ? [...s.rows] : [...(next.get(s.table) ?? []), ...s.rows])
  return next
}

const head = (m: Model) => m.branches.get(m.current)!.at(-1)!

class WriteCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly table: string, readonly mode: 'append' | 'overwrite', readonly rows: Rows, readonly commit: boolean) {}
  // a direct commit to a table with staged changes makes those changes conflict (tested elsewhere)
  check = (m: Readonly<Model>) => !this.commit || !m.staged.some((s) => s.table === this.table)
  async run(m: Model, r: Real): Promise<void> {
    executed.write++
    const res = await r.repo.write(this.table, await csv(r, this.rows), { mode: this.mode, commit: this.commit, message: this.commit ? 'w' : undefined })
    m.staged.push({ table: this.table, mode: this.mode, rows: this.rows })
    if (this.commit) {
      // a direct commit carries only this write; staged ones stay staged
      const mine = m.staged.pop()!
      m.branches.get(m.current)!.push({ id: res.commit!.snapshot, tables: applyStaged(head(m).tables, [mine]) })
    }
  }
  toString = () => `write(${this.table},${this.mode},[${this.rows}],commit=${this.commit})`
}

class DeleteCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly table: string, readonly below: number) {}
  // a row-level write reads the committed table: it refuses staged changes to it (tested elsewhere)
  check = (m: Readonly<Model>) => head(m as Model).tables.has(this.table) && !m.staged.some((s) => s.table === this.table)
  async run(m: Model, r: Real): Promise<void> {
    executed.write++
    const res = await r.repo.delete(this.table, `v < ${this.below}`, { commit: true, message: 'd' })
    const tables = new Map(head(m).tables)
    tables.set(this.table, tables.get(this.table)!.filter((v) => v >= this.below))
    m.branches.get(m.current)!.push({ id: res.commit!.snapshot, tables })
  }
  toString = () => `delete(${this.table}, v < ${this.below})`
}

class CommitCmd implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.staged.length > 0
  async run(m: Model, r: Real): Promise<void> {
    const res = await r.repo.commit({ message: 'c' })
    m.branches.get(m.current)!.push({ id: res.snapshot, tables: applyStaged(head(m).tables, m.staged) })
    m.staged = []
  }
  toString = () => 'commit'
}

class BranchCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => !m.branches.has(this.name) && m.staged.length === 0
  async run(m: Model, r: Real): Promise<void> {
    await r.repo.checkout(this.name, { create: true })
    m.branches.set(this.name, [...m.branches.get(m.current)!])
    m.current = this.name
  }
  toString = () => `checkout -b ${this.name}`
}

class CheckoutCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.staged.length === 0
  async run(m: Model, r: Real): Promise<void> {
    const names = [...m.branches.keys()].sort()
    const name = names[this.pick % names.length]
    await r.repo.checkout(name)
    m.current = name
  }
  toString = () => `checkout #${this.pick}`
}

class TagCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: string) {}
  check = (m: Readonly<Model>) => !m.tags.has(this.name)
  async run(m: Model, r: Real): Promise<void> {
    await r.repo.createTag(this.name)
    m.tags.set(this.name, head(m))
  }
  toString = () => `tag ${this.name}`
}

class ReadCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly back: number, readonly how: 'tilde' | 'prefix' | 'time' | 'tag', readonly table: string) {}
  check = () => true
  async run(m: Model, r: Real): Promise<void> {
    const chain = m.branches.get(m.current)!
    const k = this.back % chain.length
    const commit = chain[chain.length - 1 - k]
    let at: string
    let expected = commit
    if (this.how === 'tag' && m.tags.size > 0) {
      const [name, c] = [...m.tags][k % m.tags.size]
      at = name
      expected = c
    } else if (this.how === 'prefix') {
      at = commit.id.slice(0, 12)
    } else if (this.how === 'time') {
      at = `${m.current}@{${(await r.repo.log({ rev: commit.id, limit: 1 }))[0].timestamp}}`
    } else {
      at = `${m.current}~${k}`
    }
    executed.read++
    const got = await readRows(r, this.table, at)
    const want = expected.tables.get(this.table)
    expect(got, `${this.table} at ${at}`).toEqual(want ? [...want].sort((a, b) => a - b) : undefined)
  }
  toString = () => `read(${this.table}, ${this.how}, back ${this.back})`
}

const tables = fc.constantFrom('t1', 't2')
const commands = [
  fc.tuple(tables, fc.constantFrom<'append' | 'overwrite'>('append', 'append', 'overwrite'), fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([t, mode, rows, commit]) => new WriteCmd(t, mode, rows, commit)),
  fc.constant(new CommitCmd()),
  fc.tuple(tables, fc.integer({ min: 0, max: 1000 })).map(([t, n]) => new DeleteCmd(t, n)),
  fc.constantFrom('b1', 'b2', 'feature/x').map((n) => new BranchCmd(n)),
  fc.nat(5).map((n) => new CheckoutCmd(n)),
  fc.constantFrom('v1', 'v2').map((n) => new TagCmd(n)),
  fc.tuple(fc.nat(6), fc.constantFrom<'tilde' | 'prefix' | 'time' | 'tag'>('tilde', 'prefix', 'time', 'tag'), tables).map(([b, h, t]) => new ReadCmd(b, h, t)),
]

describe('model-based: repository vs in-memory model', () => {
  it('agrees on every read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25, size: 'large' }), async (cmds) => {
        const dir = await mkdtemp(join(tmpdir(), 'dv-model-'))
        let t = Date.UTC(2026, 0, 1)
        const repo = await Repository.init(join(dir, 'lake'), { now: () => (t += 1000), author: 'model' })
        try {
          const root = (await repo.log())[0]
          const model: Model = { branches: new Map([['main', [{ id: root.snapshot, tables: new Map() }]]]), tags: new Map(), current: 'main', staged: [] }
          await fc.asyncModelRun(() => ({ model, real: { repo, dir, seq: 0 } }), cmds)
        } finally {
          await repo.close()
          await rm(dir, { recursive: true, force: true })
        }
      }),
      // 60 histories with DV_STRESS=1 (a step of .ci/run); the default suite takes 30
      { numRuns: Number(process.env.DV_MODEL_RUNS ?? (process.env.DV_STRESS === '1' ? 60 : 30)) },
    )
    // the property must have exercised the real system, not just generated commands
    console.log(`model test executed ${JSON.stringify(executed)}`)
    expect(executed.write).toBeGreaterThan(20)
    expect(executed.read).toBeGreaterThan(10)
  }, 240_000)
})
