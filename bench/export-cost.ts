/**
 * `dv export --format iceberg`: a full export of a table of 1,000 commits and
 * 10,000 files, issue 12's size (every commit exported, --all-history), then
 * the incremental re-export after one more commit, to the same place. Target:
 * the re-export takes < 5% of the full export. In-process
 * (Repository.exportTable), so the figures are the export's own work, not
 * process start-up.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Repository } from '../src/index.js'
import { freshRepo, type BenchContext } from './harness.js'
import { median, timeIt } from './measure.js'
import type { Row } from './report.js'

const COMMITS = 1_000
/** Each commit's rows fall on this many days of a day(ts) table: one file each. */
const ROWS_PER_COMMIT = 10

async function csv(ctx: BenchContext, i: number): Promise<string> {
  const path = join(ctx.work, `export-${i}.csv`)
  const day = (d: number) => new Date(Date.UTC(2026, 0, 1) + (d % 60) * 86_400_000).toISOString().slice(0, 10)
  await writeFile(path, 'id,ts,v,name\n' + Array.from({ length: ROWS_PER_COMMIT }, (_, k) => `${i * ROWS_PER_COMMIT + k},${day(i + k)} 12:00:00,${k * 1.5},n${k}\n`).join(''))
  return path
}

export async function benchExportCost(ctx: BenchContext): Promise<Row[]> {
  const repo = await Repository.open(await freshRepo(ctx, 'export'))
  const targets: string[] = []
  try {
    for (let i = 0; i < COMMITS; i++) {
      await repo.write('t', await csv(ctx, i), { ...(i === 0 ? { partitionBy: 'day(ts)' } : {}), commit: true, message: `load ${i}` })
    }
    const full: number[] = []
    const incremental: number[] = []
    for (let r = 0; r < ctx.lightReps; r++) {
      const to = await mkdtemp(join(ctx.work, 'export-target-'))
      targets.push(to)
      const first = await timeIt(() => repo.exportTable('t', { to, allHistory: true }))
      full.push(first.ms)
      await repo.write('t', await csv(ctx, COMMITS + r), { commit: true, message: `one more ${r}` })
      const next = await timeIt(() => repo.exportTable('t', { to, allHistory: true }))
      if (next.value.newSnapshots !== 1) throw new Error(`expected one new snapshot, got ${next.value.newSnapshots}`)
      incremental.push(next.ms)
    }
    const [f, n] = [median(full), median(incremental)]
    ctx.log(`iceberg export of ${COMMITS} commits: full ${f.toFixed(0)} ms, incremental after one commit ${n.toFixed(0)} ms (${((100 * n) / f).toFixed(1)}%)`)
    return [{
      section: `Iceberg export of a ${COMMITS}-commit, ${(COMMITS * ROWS_PER_COMMIT).toLocaleString('en-US')}-file table (median)`,
      figure: `Repository.exportTable after one more commit vs the full export (--all-history), ${ctx.lightReps} reps`,
      dv: n, unit: 'ms', baselineName: 'full-export', baseline: f, ratio: n / f, target: '< 0.05x', pass: n / f < 0.05,
      samples: incremental, baselineSamples: full,
    }]
  } finally {
    await repo.close()
    for (const t of targets) await rm(t, { recursive: true, force: true })
  }
}
