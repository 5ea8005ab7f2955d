/**
 * Figures 5 and 6: the cost of a one-row append commit and of creating a
 * branch on a table of 10,000 files against a table of 1 file (same schema,
 * same partition spec, same row count), through the CLI and the library.
 */
import { Repository } from '../src/index.js'
import { PARTITIONS } from './data.js'
import { freshRepo, runDv, type BenchContext } from './harness.js'
import { median, timeIt, type ProcessRun } from './measure.js'
import type { Row } from './report.js'

interface TableRepo {
  dir: string
  files: number
  buildMs: number
  /** Set when the one-write build failed and the table was built from staged chunks instead. */
  singleWriteError?: string
  singleWriteMs?: number
}

async function buildTable(ctx: BenchContext, prefix: string, csv: string, chunks: string[] = []): Promise<TableRepo> {
  const dir = await freshRepo(ctx, prefix)
  const repo = await Repository.open(dir)
  try {
    const started = performance.now()
    try {
      const { ms, value } = await timeIt(() => repo.write('t', csv, { partitionBy: 'k', commit: true, message: 'load' }))
      return { dir, files: value.files, buildMs: ms }
    } catch (e) {
      if (!chunks.length) throw e
      const singleWriteMs = performance.now() - started
      const singleWriteError = e instanceof Error ? e.message.split('\n')[0] : String(e)
      ctx.log(`one write --partition-by k of ${csv} failed after ${singleWriteMs.toFixed(0)} ms: ${singleWriteError}`)
      ctx.log(`building it from ${chunks.length} staged writes and one commit instead`)
      const { ms } = await timeIt(async () => {
        for (const [i, chunk] of chunks.entries()) await repo.write('t', chunk, i === 0 ? { partitionBy: 'k' } : {})
        await repo.commit({ message: 'load' })
      })
      const info = await repo.show('HEAD', 't')
      return { dir, files: info.table?.files ?? 0, buildMs: ms, singleWriteError, singleWriteMs }
    }
  } finally {
    await repo.close()
  }
}

interface Pair {
  many: number[]
  one: number[]
  manyRss: number
  oneRss: number
}

/** Runs `step` alternately on both repositories, `reps` times each. */
async function alternate(reps: number, many: TableRepo, one: TableRepo, step: (dir: string, i: number) => Promise<ProcessRun>): Promise<Pair> {
  const m: ProcessRun[] = []
  const o: ProcessRun[] = []
  for (let i = 0; i < reps; i++) {
    m.push(await step(many.dir, i))
    o.push(await step(one.dir, i))
  }
  return { many: m.map((r) => r.ms), one: o.map((r) => r.ms), manyRss: Math.max(...m.map((r) => r.rssMiB)), oneRss: Math.max(...o.map((r) => r.rssMiB)) }
}

async function alternateLibrary(reps: number, many: TableRepo, one: TableRepo, step: (repo: Repository, i: number) => Promise<unknown>): Promise<{ many: number[]; one: number[] }> {
  const repos = [await Repository.open(many.dir), await Repository.open(one.dir)]
  try {
    // Warm-up (not counted): loads the data engine once in each repository.
    for (const repo of repos) await step(repo, -1)
    const times: number[][] = [[], []]
    for (let i = 0; i < reps; i++) {
      for (let r = 0; r < 2; r++) times[r].push((await timeIt(() => step(repos[r], i))).ms)
    }
    return { many: times[0], one: times[1] }
  } finally {
    for (const repo of repos) await repo.close()
  }
}

function pairRows(section: string, figure: string, many: number[], one: number[], rss?: { many: number; one: number }): Row {
  const m = median(many)
  const o = median(one)
  return {
    section, figure, dv: m, unit: 'ms', baselineName: 'one-file-table', baseline: o, ratio: m / o, target: '<= 1.2x', pass: m / o <= 1.2,
    ...(rss ? { rssMiB: rss.many, baselineRssMiB: rss.one } : {}), samples: many, baselineSamples: one,
  }
}

export async function benchCommitCost(ctx: BenchContext): Promise<Row[]> {
  const many = await buildTable(ctx, 'files-10k', ctx.data.parts10k, ctx.data.parts10kChunks)
  const one = await buildTable(ctx, 'files-1', ctx.data.parts1)
  ctx.log(`built tables: ${many.files} files in ${many.buildMs.toFixed(0)} ms; ${one.files} file in ${one.buildMs.toFixed(0)} ms`)
  if (many.files !== PARTITIONS || one.files !== 1) throw new Error(`expected ${PARTITIONS} and 1 files, got ${many.files} and ${one.files}`)
  const oneRow = ctx.data.oneRowParts
  const n = ctx.lightReps
  const cliCommit = await alternate(n, many, one, (dir) => runDv(['-C', dir, 'write', 't', oneRow, '--commit', '-m', 'x']))
  const libCommit = await alternateLibrary(n * 2, many, one, (repo, i) => repo.write('t', oneRow, { commit: true, message: `x${i}` }))
  const cliBranch = await alternate(n, many, one, (dir, i) => runDv(['-C', dir, 'branch', `b${i}`]))
  const libBranch = await alternateLibrary(n * 4, many, one, (repo, i) => repo.createBranch(`lb${i + 1}`))
  ctx.log(`one-row commit cli: 10k ${median(cliCommit.many).toFixed(0)} ms, 1 ${median(cliCommit.one).toFixed(0)} ms; library: 10k ${median(libCommit.many).toFixed(1)} ms, 1 ${median(libCommit.one).toFixed(1)} ms`)
  ctx.log(`branch cli: 10k ${median(cliBranch.many).toFixed(0)} ms, 1 ${median(cliBranch.one).toFixed(0)} ms; library: 10k ${median(libBranch.many).toFixed(2)} ms, 1 ${median(libBranch.one).toFixed(2)} ms`)
  const commitSection = `One-row append commit: ${many.files}-file table vs 1-file table (median)`
  const branchSection = 'Branch creation: repo of the 10,000-file table vs the 1-file table (median)'
  const build: Row[] = many.singleWriteError === undefined
    ? [{
        section: commitSection, figure: 'build the 10,000-file table: one write --partition-by k (library)', dv: many.buildMs, unit: 'ms',
        baselineName: 'one-file-table-build', baseline: one.buildMs, ratio: many.buildMs / one.buildMs, target: 'succeeds', pass: true,
      }]
    : [{
        section: commitSection, figure: 'build the 10,000-file table: one write --partition-by k (library): FAILED', dv: many.singleWriteMs!, unit: 'ms',
        target: 'succeeds', pass: false, note: many.singleWriteError,
      }, {
        section: commitSection, figure: `fallback build: ${ctx.data.parts10kChunks.length} staged writes of 2,000 partitions + 1 commit`, dv: many.buildMs, unit: 'ms',
        baselineName: 'one-file-table-build', baseline: one.buildMs, ratio: many.buildMs / one.buildMs,
      }]
  return [
    ...build,
    pairRows(commitSection, `dv write t one-row.csv --commit (CLI wall), ${n} reps`, cliCommit.many, cliCommit.one, { many: cliCommit.manyRss, one: cliCommit.oneRss }),
    pairRows(commitSection, `Repository.write one row, commit (in-process), ${n * 2} reps`, libCommit.many, libCommit.one),
    pairRows(branchSection, `dv branch b<i> (CLI wall), ${n} reps`, cliBranch.many, cliBranch.one, { many: cliBranch.manyRss, one: cliBranch.oneRss }),
    pairRows(branchSection, `Repository.createBranch (in-process), ${n * 4} reps`, libBranch.many, libBranch.one),
  ]
}
