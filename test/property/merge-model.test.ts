/**
 * Model-based test of merge (format-spec/merge.md): random histories of
 * writes (append, replace-partitions, delete) on main and on branches cut
 * from main (x and y, at the start), merges of branches into main, and
 * crossing merges (a branch into main and main's head before that into the
 * branch, which make criss-cross histories with several best common
 * ancestors), run against a repository on the memory store and against a
 * plain model. The model keeps each table as
 * partitions holding multisets of files, a file being the sorted rows one
 * write put in one partition (dv names files by content, so equal rows
 * written the same way are one file), and merges by the spec's per-partition
 * rules with its own merge base (several: merged into a virtual base first,
 * a conflict there being a conflict). After every merge, dv's table equals the
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
interface Commit { parents: string[]; state: State; seq: number }
interface Model { commits: Map<string, Commit>; heads: Map<string, string> }

type Op =
  | { kind: 'write'; branch: string; mode: 'append' | 'replace-partitions'; rows: Row[] }
  | { kind: 'delete'; branch: string; v: number }
  | { kind: 'merge'; name: string }
  | { kind: 'cross'; name: string }

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

/** Every best common ancestor of (anything reachable from) `a` and `b`, newest first. */
function mergeBases(m: Model, a: string[], b: string[]): string[] {
  const [fromA, fromB] = [new Set(a.flatMap((x) => [...ancestors(m, x)])), new Set(b.flatMap((x) => [...ancestors(m, x)]))]
  const common = [...fromA].filter((x) => fromB.has(x))
  const best = common.filter((c) => !common.some((o) => o !== c && ancestors(m, o).has(c)))
  return best.sort((x, y) => m.commits.get(y)!.seq - m.commits.get(x)!.seq)
}

/** The merge base's state: one base's, or the bases merged in order (format-spec/merge.md#merge-base). */
function baseState(m: Model, bases: string[]): State | 'conflict' {
  let merged: { ids: string[]; state: State } = { ids: [bases[0]!], state: m.commits.get(bases[0]!)!.state }
  for (const next of bases.slice(1)) {
    const inner = mergeBases(m, merged.ids, [next])
    const innerState = inner.length === 0 ? new Map() : baseState(m, inner)
    if (innerState === 'conflict') return 'conflict'
    const state = mergeStates(innerState, merged.state, m.commits.get(next)!.state)
    if (state === 'conflict') return 'conflict'
    merged = { ids: [...merged.ids, next], state }
  }
  return merged.state
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
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cross' as const), name: fc.constantFrom('x', 'y') }) },
)

const writeOn = (branches: string[]): fc.Arbitrary<Op> => fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), branch: fc.constantFrom(...branches), mode: fc.constantFrom('append' as const, 'append' as const, 'replace-partitions' as const), rows: fc.array(rowArb, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), branch: fc.constantFrom(...branches), v: fc.integer({ min: 0, max: 6 }) }) },
)
/** Writes to one partition only, so that the two crossing merges land (they are merges of disjoint partitions). */
const writeIn = (branch: string, p: string): fc.Arbitrary<Op> => fc.record({
  kind: fc.constant('write' as const), branch: fc.constant(branch), mode: fc.constantFrom('append' as const, 'replace-partitions' as const),
  rows: fc.array(fc.record({ p: fc.constant(p), v: fc.integer({ min: 0, max: 6 }) }), { minLength: 1, maxLength: 3 }),
})
/** Random histories, and (half the runs) a criss-cross on purpose: both sides write, cross, write again, merge. */
const historyArb: fc.Arbitrary<Op[]> = fc.oneof(
  fc.array(opArb, { minLength: 6, maxLength: 14 }),
  fc.tuple(fc.array(writeIn('main', 'a'), { minLength: 1, maxLength: 2 }), fc.array(writeIn('x', 'b'), { minLength: 1, maxLength: 2 }),
    fc.array(writeOn(['main', 'x']), { minLength: 1, maxLength: 4 }), fc.array(opArb, { maxLength: 4 }))
    .map(([m, x, after, rest]): Op[] => [...m, ...x, { kind: 'cross', name: 'x' }, ...after, { kind: 'merge', name: 'x' }, ...rest]),
)

describe('model-based: merge against a model of partitions and files', () => {
  it('after every merge, dv equals the model, or both conflict', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dv-merge-model-'))
    let seq = 0
    const stats = { merged: 0, conflicts: 0, ff: 0, crissCross: 0, virtual: 0 }
    try {
      await fc.assert(fc.asyncProperty(historyArb, async (ops) => {
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
          model.commits.set(root, { parents: [], state: new Map(), seq: 0 })
          const first: Op = { kind: 'write', branch: 'main', mode: 'append', rows: [{ p: 'a', v: 0 }, { p: 'b', v: 1 }, { p: 'c', v: 2 }] }
          const created = await repo.write('t', await csv(first.rows), { partitionBy: 'p', commit: true, message: 'create' })
          model.commits.set(created.commit!.snapshot, { parents: [root], state: applyWrite(new Map(), first), seq: 1 })
          model.heads.set('main', created.commit!.snapshot)
          for (const name of ['x', 'y']) {
            await repo.createBranch(name, 'main')
            model.heads.set(name, created.commit!.snapshot)
          }
          let tick = 1
          /** Merges `source` (whose head is `theirs`) into `target` in dv and in the model, and compares. */
          const mergeInto = async (target: string, theirs: string, source: string): Promise<void> => {
            const ours = model.heads.get(target)!
            const bases = mergeBases(model, [ours], [theirs])
            const base = bases.length === 1 ? bases[0] : undefined
            if (bases.length > 1) stats.crissCross++
            const baseS = bases.length === 0 ? new Map() as State : baseState(model, bases)
            const expected = base === theirs ? model.commits.get(ours)!.state
              : base === ours ? model.commits.get(theirs)!.state
                : baseS === 'conflict' ? 'conflict' : mergeStates(baseS, model.commits.get(ours)!.state, model.commits.get(theirs)!.state)
            const got = await repo.merge(source, { into: target }).catch((e: DvError) => e)
            if (expected === 'conflict') {
              expect(got, `merge of ${source} into ${target} should conflict`).toMatchObject({ code: 'CONFLICT' })
              expect(await repo.resolve(target)).toBe(ours)
              stats.conflicts++
              return
            }
            if ('code' in got) throw got
            expect(got.status).toBe(base === theirs ? 'up-to-date' : base === ours ? 'fast-forward' : 'merged')
            expect(got.bases).toHaveLength(bases.length)
            if (got.status === 'merged') {
              model.commits.set(got.snapshot, { parents: [ours, theirs], state: expected, seq: ++tick })
              stats.merged++
              if (bases.length > 1) stats.virtual++
            } else if (got.status === 'fast-forward') stats.ff++
            model.heads.set(target, got.status === 'up-to-date' ? ours : got.snapshot)
            expect(await read(target)).toEqual(flat(expected))
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
              model.commits.set(r.commit.snapshot, { parents: [head], state: next, seq: ++tick })
              model.heads.set(op.branch, r.commit.snapshot)
            } else if (op.kind === 'merge') {
              await mergeInto('main', model.heads.get(op.name)!, op.name)
            } else {
              // criss-cross: the branch into main, and main's head before that into the branch
              const [theirs, ours] = [model.heads.get(op.name)!, model.heads.get('main')!]
              await mergeInto('main', theirs, theirs)
              await mergeInto(op.name, ours, ours)
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
    // criss-cross histories, and merges against a virtual base that land
    expect(stats.crissCross).toBeGreaterThan(0)
    expect(stats.virtual).toBeGreaterThan(0)
  }, 600_000)
})
