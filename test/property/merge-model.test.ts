/**
 * Model-based test of merge (format-spec/merge.md): random histories of
 * writes (append, replace-partitions, delete) on main and on branches cut
 * from main (x and y, at the start), and merges of branches into main, run against a repository on
 * the memory store and against a plain model. The model keeps each table as
 * partitions holding multisets of files, a file being the sorted rows one
 * write put in one partition (dv names files by content, so equal rows
 * written the same way are one file), and merges by the spec's per-partition
 * rules with its own merge base. After every merge, dv's table equals the
 * model's merge, or both report a conflict.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository, type DvError } from '../../src/index.js'
import { createMemoryStorage } from '../../src/store/index.js'
import { TextSink } from '../support/text-sink.js'

type Row = { p: string; v: number }
/** partition -> file key -> count */
type State = Map<string, Map<string, number>>
interface Commit { parents: string[]; state: State }
interface Model { commits: Map<string, Commit>; heads: Map<string, string> }

type Op =
  | { kind: 'write'; branch: string; mode: 'append' | 'replace-partitions'; rows: Row[] }
  | { kind: 'delete'; branch: string; v: number }
  | { kind: 'merge'; name: string }

const clone = (s: State): State => new Map([...s].map(([p, f]) => [p, new Map(f)]))
const fileKey = (how: string, rows: number[]) => `${how}:${JSON.stringify([...rows].sort((a, b) => a - b))}`
const rowsOf = (key: string): number[] => JSON.parse(key.slice(key.indexOf(':') + 1)) as number[]
const add = (m: Map<string, number>, k: string, n: number) => {
  const v = (m.get(k) ?? 0) + n
  if (v === 0) m.delete(k)
  else m.set(k, v)
}

function applyWrite(s: State, op: Op): State {
  const next = clone(s)
  if (op.kind === 'write') {
    const byP = new Map<string, number[]>()
    for (const r of op.rows) byP.set(r.p, [...(byP.get(r.p) ?? []), r.v])
    for (const [p, vs] of byP) {
      const files = op.mode === 'replace-partitions' ? new Map<string, number>() : (next.get(p) ?? new Map<string, number>())
      add(files, fileKey('w', vs), 1)
      next.set(p, files)
    }
  } else if (op.kind === 'delete') {
    for (const [p, files] of next) {
      for (const [k, n] of [...files]) {
        const rows = rowsOf(k)
        if (!rows.includes(op.v)) continue
        add(files, k, -n)
        const kept = rows.filter((v) => v !== op.v)
        if (kept.length) add(files, fileKey('r', kept), n)
      }
      if (files.size === 0) next.delete(p)
    }
  }
  return next
}

function ancestors(m: Model, id: string): Set<string> {
  const out = new Set<string>()
  const stack = [id]
  while (stack.length) {
    const c = stack.pop()!
    if (out.has(c)) continue
    out.add(c)
    stack.push(...m.commits.get(c)!.parents)
  }
  return out
}

function mergeBase(m: Model, a: string, b: string): string {
  const common = [...ancestors(m, a)].filter((x) => ancestors(m, b).has(x))
  const best = common.filter((c) => !common.some((o) => o !== c && ancestors(m, o).has(c)))
  if (best.length !== 1) throw new Error(`the model's histories have ${best.length} best common ancestors`)
  return best[0]!
}

/** The spec's per-partition rule on file multisets: the merged state, or 'conflict'. */
function mergeStates(base: State, ours: State, theirs: State): State | 'conflict' {
  const out = clone(ours)
  for (const p of new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])) {
    const delta = (s: State) => {
      const d = new Map<string, number>()
      for (const [k, n] of s.get(p) ?? []) add(d, k, n)
      for (const [k, n] of base.get(p) ?? []) add(d, k, -n)
      return d
    }
    const [o, t] = [delta(ours), delta(theirs)]
    const same = o.size === t.size && [...o].every(([k, n]) => t.get(k) === n)
    if (t.size === 0 || same) continue
    const files = out.get(p) ?? new Map<string, number>()
    if (o.size === 0) for (const [k, n] of t) add(files, k, n)
    else if ([...o.values(), ...t.values()].every((n) => n > 0)) for (const [k, n] of t) add(files, k, Math.max(0, n - (o.get(k) ?? 0)))
    else return 'conflict'
    if (files.size) out.set(p, files)
    else out.delete(p)
  }
  return out
}

const flat = (s: State) => [...s].flatMap(([p, files]) => [...files].flatMap(([k, n]) => Array.from({ length: n }, () => rowsOf(k).map((v) => `${p},${v}`)).flat())).sort()

const rowArb = fc.record({ p: fc.constantFrom('a', 'b', 'c'), v: fc.integer({ min: 0, max: 6 }) })
const branchArb = fc.constantFrom('main', 'x', 'y')
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), branch: branchArb, mode: fc.constantFrom('append' as const, 'append' as const, 'replace-partitions' as const), rows: fc.array(rowArb, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), branch: branchArb, v: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('merge' as const), name: fc.constantFrom('x', 'y') }) },
)

describe('model-based: merge against a model of partitions and files', () => {
  it('after every merge, dv equals the model, or both conflict', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dv-merge-model-'))
    let seq = 0
    const stats = { merged: 0, conflicts: 0, ff: 0 }
    try {
      await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 6, maxLength: 14 }), async (ops) => {
        const repo = await Repository.fromStorage(createMemoryStorage(), { init: true, author: 'model' })
        const csv = async (rows: Row[]) => {
          const path = join(dir, `in-${seq++}.csv`)
          // sorted within each partition, so a partition's file is a function of its rows
          await writeFile(path, 'p,v\n' + [...rows].sort((a, b) => a.p.localeCompare(b.p) || a.v - b.v).map((r) => `${r.p},${r.v}\n`).join(''))
          return path
        }
        const read = async (rev: string) => {
          const sink = new TextSink()
          await repo.cat('t', sink, { at: rev, format: 'csv', columns: ['p', 'v'] })
          return sink.text.trim().split('\n').slice(1).filter((l) => l !== '').sort()
        }
        try {
          const model: Model = { commits: new Map(), heads: new Map() }
          const root = await repo.resolve('main')
          model.commits.set(root, { parents: [], state: new Map() })
          const first: Op = { kind: 'write', branch: 'main', mode: 'append', rows: [{ p: 'a', v: 0 }, { p: 'b', v: 1 }, { p: 'c', v: 2 }] }
          const created = await repo.write('t', await csv(first.rows), { partitionBy: 'p', commit: true, message: 'create' })
          model.commits.set(created.commit!.snapshot, { parents: [root], state: applyWrite(new Map(), first) })
          model.heads.set('main', created.commit!.snapshot)
          for (const name of ['x', 'y']) {
            await repo.createBranch(name, 'main')
            model.heads.set(name, created.commit!.snapshot)
          }
          for (const op of ops) {
            if (op.kind === 'write' || op.kind === 'delete') {
              const head = model.heads.get(op.branch)
              if (!head) continue
              const r = op.kind === 'write'
                ? await repo.write('t', await csv(op.rows), { mode: op.mode, branch: op.branch, commit: true, message: `w${seq}` })
                : await repo.delete('t', `v = ${op.v}`, { branch: op.branch, commit: true, message: `d${seq}` })
              const next = applyWrite(model.commits.get(head)!.state, op)
              if (!r.commit) continue // a delete that matched nothing
              model.commits.set(r.commit.snapshot, { parents: [head], state: next })
              model.heads.set(op.branch, r.commit.snapshot)
            } else {
              const theirs = model.heads.get(op.name)
              if (!theirs) continue
              const ours = model.heads.get('main')!
              const base = mergeBase(model, ours, theirs)
              const expected = base === theirs ? model.commits.get(ours)!.state
                : base === ours ? model.commits.get(theirs)!.state
                  : mergeStates(model.commits.get(base)!.state, model.commits.get(ours)!.state, model.commits.get(theirs)!.state)
              const got = await repo.merge(op.name).catch((e: DvError) => e)
              if (expected === 'conflict') {
                expect(got, `merge of ${op.name} should conflict`).toMatchObject({ code: 'CONFLICT' })
                expect(await repo.resolve('main')).toBe(ours)
                stats.conflicts++
                continue
              }
              if ('code' in got) throw got
              expect(got.status).toBe(base === theirs ? 'up-to-date' : base === ours ? 'fast-forward' : 'merged')
              if (got.status === 'merged') {
                model.commits.set(got.snapshot, { parents: [ours, theirs], state: expected })
                stats.merged++
              } else if (got.status === 'fast-forward') stats.ff++
              model.heads.set('main', got.status === 'up-to-date' ? ours : got.snapshot)
              expect(await read('main')).toEqual(flat(expected))
            }
          }
        } finally {
          await repo.close()
        }
      }), { numRuns: Number(process.env.DV_MODEL_RUNS ?? 12), ...(process.env.DV_MODEL_SEED === 'random' ? {} : { seed: Number(process.env.DV_MODEL_SEED ?? 20261130) }) })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    // the generator must reach every outcome, or the property says little (a fixed seed by default
    // keeps this deterministic; DV_MODEL_SEED=random DV_MODEL_RUNS=200 explores)
    expect(stats.merged).toBeGreaterThan(0)
    expect(stats.conflicts).toBeGreaterThan(0)
    expect(stats.ff).toBeGreaterThan(0)
  }, 600_000)
})
