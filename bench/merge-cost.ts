/**
 * Merge cost follows the change, not the table: merging a branch that
 * replaced one partition into a main that appended to another, on a table of
 * 365 daily partitions against the same into a table of 1 partition (same
 * rows, same schema). Each repetition branches, changes both sides (not
 * timed), then times Repository.merge in-process. Target: within 1.3x.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Repository } from '../src/index.js'
import { freshRepo, type BenchContext } from './harness.js'
import { median, timeIt } from './measure.js'
import type { Row } from './report.js'

const ROWS_PER_DAY = 20
const DAYS = 365

const date = (d: number) => new Date(Date.UTC(2025, 0, 1) + d * 86_400_000).toISOString().slice(0, 10)

async function csv(ctx: BenchContext, name: string, rows: Array<[number, number]>): Promise<string> {
  const path = join(ctx.work, name)
  await writeFile(path, 'id,ts,v\n' + rows.map(([id, d]) => `${id},${date(d)} 12:00:00,${id * 3}\n`).join(''))
  return path
}

interface Setup {
  repo: Repository
  /** The day the branch replaces, and the day main appends to. */
  replaced: number
  appended: number
}

async function build(ctx: BenchContext, name: string, days: number): Promise<Setup> {
  const dir = await freshRepo(ctx, name)
  const repo = await Repository.open(dir)
  const rows = Array.from({ length: DAYS * ROWS_PER_DAY }, (_, i) => [i, days === 1 ? 0 : i % DAYS] as [number, number])
  await repo.write('t', await csv(ctx, `${name}.csv`, rows), { partitionBy: 'day(ts)', commit: true, message: 'load' })
  return { repo, replaced: 0, appended: days === 1 ? 1 : 200 }
}

/** One repetition on `s`: branch, replace a partition there, append on main, then merge (timed). */
async function once(ctx: BenchContext, s: Setup, tag: string, i: number): Promise<number> {
  const branch = `b${i}`
  await s.repo.createBranch(branch)
  const fix = await csv(ctx, `${tag}-fix-${i}.csv`, Array.from({ length: ROWS_PER_DAY }, (_, k) => [1_000_000 + i * 100 + k, s.replaced]))
  await s.repo.write('t', fix, { mode: 'replace-partitions', branch, commit: true, message: `fix ${i}` })
  const late = await csv(ctx, `${tag}-late-${i}.csv`, [[2_000_000 + i, s.appended]])
  await s.repo.write('t', late, { commit: true, message: `late ${i}` })
  const { ms, value } = await timeIt(() => s.repo.merge(branch))
  if (value.status !== 'merged') throw new Error(`expected a merge commit, got ${value.status}`)
  return ms
}

export async function benchMergeCost(ctx: BenchContext): Promise<Row[]> {
  const many = await build(ctx, 'merge-365', DAYS)
  const one = await build(ctx, 'merge-1', 1)
  try {
    await once(ctx, many, 'many', -1) // warm-up (not counted): loads the data engine
    await once(ctx, one, 'one', -1)
    const m: number[] = []
    const o: number[] = []
    const reps = ctx.lightReps * 2
    for (let i = 0; i < reps; i++) {
      m.push(await once(ctx, many, 'many', i))
      o.push(await once(ctx, one, 'one', i))
    }
    const [mm, om] = [median(m), median(o)]
    ctx.log(`merge of a one-partition change: ${DAYS} partitions ${mm.toFixed(1)} ms, 1 partition ${om.toFixed(1)} ms`)
    return [{
      section: `Merge of a one-partition change: ${DAYS}-partition table vs 1-partition table (median)`,
      figure: `Repository.merge (replace one partition vs an append elsewhere), ${reps} reps`,
      dv: mm, unit: 'ms', baselineName: 'one-partition-table', baseline: om, ratio: mm / om, target: '<= 1.3x', pass: mm / om <= 1.3,
      samples: m, baselineSamples: o,
    }]
  } finally {
    await many.repo.close()
    await one.repo.close()
  }
}
