/**
 * Pipeline-write figures, on a local store, through the library in this
 * process:
 *   1. 1-row append commits/s on one branch with 1, 2, 4 and 8 concurrent
 *      writers (each its own Repository on the same directory), 0 lost;
 *      and where one writer's commit spends its time;
 *   2. replace-partitions of one day of a 365-day table vs a full overwrite;
 *   3. a 1% upsert vs a full overwrite (and its worst case).
 *
 *   npm run build && node dist/bench/pipeline.js [--only commits,replace,upsert] [--reps N] [--commits N]
 *   (or: npm run bench -- --only pipeline)
 * Results: bench/results/pipeline.json (only-pipeline-<parts>.json for a partial run).
 */
import { spawnSync } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { openLocalStorage } from '../src/store/index.js'
import { ensureDatasets } from './data.js'
import { freshRepo, type BenchContext } from './harness.js'
import { BENCH_ENV, DATA_DIR, ROOT } from './paths.js'
import { renderTable, saveReport, type Row } from './report.js'
import { createTable, describeRun, runWriters, type OpenStorage, type WriterRun } from './pipeline-commits.js'
import { describeProfile, profileAppend } from './pipeline-profile.js'
import { benchReplacePartitions, benchUpsert, ensurePipelineData, REWRITE_BASELINES } from './pipeline-rewrites.js'

const WRITERS = [1, 2, 4, 8]
const PARTS = ['commits', 'replace', 'upsert']

export interface PipelineOptions {
  /** Commits per writer with 2+ writers (one writer makes twice as many). */
  commitsPerWriter?: number
  parts?: Set<string>
}

export interface PipelineResult {
  rows: Row[]
  notes: string[]
  baselines: Record<string, string>
}

function localStore(dir: string): OpenStorage {
  return () => Promise.resolve(openLocalStorage(join(dir, '.dv')))
}

/** Figure 1: W in-process writers appending 1-row commits to one branch. */
async function benchConcurrentAppends(ctx: BenchContext, perWriter: number): Promise<PipelineResult> {
  const section = 'pipeline: concurrent 1-row append commits, one branch (local store)'
  const rows: Row[] = []
  const notes: string[] = []
  let one: WriterRun | undefined
  for (const writers of WRITERS) {
    const open = localStore(await freshRepo(ctx, `appends-${writers}`))
    await createTable(open, 'events')
    ctx.log(`appends: ${writers} writer(s)`)
    const run = await runWriters({ writers, commitsPerWriter: writers === 1 ? 2 * perWriter : perWriter, open, table: 'events' })
    one ??= run
    notes.push(describeRun(run))
    const clean = run.lost === 0 && run.duplicated === 0 && run.chainAfter === run.chainBefore + run.acknowledged + run.unacknowledgedLanded
    const last = writers === WRITERS[WRITERS.length - 1]
    rows.push({
      section, figure: `${writers} writer(s) x ${run.attempted / writers}: acknowledged commits/s`, dv: run.commitsPerSecond, unit: 'commits/s',
      ...(writers > 1 ? { baselineName: 'pipeline-one-writer', baseline: one.commitsPerSecond, ratio: one.commitsPerSecond / run.commitsPerSecond } : {}),
      ...(last ? { target: '>= 200/s, 0 lost', pass: run.commitsPerSecond >= 200 && clean } : {}),
      samples: [run.commitsPerSecond],
      note: `p50 ${run.p50Ms.toFixed(1)} ms, p95 ${run.p95Ms.toFixed(1)} ms, CAS conflicts retried ${run.conflictsRetried}, ` +
        `failed ${run.attempted - run.acknowledged}, lost ${run.lost}, duplicated ${run.duplicated}`,
    })
  }
  const dir = await freshRepo(ctx, 'appends-profile')
  const open = localStore(dir)
  await createTable(open, 'events')
  ctx.log('appends: profile of one writer')
  const profile = await profileAppend(open, 'events', 30, join(dir, '.dv', 'tmp'))
  notes.push(...describeProfile(profile))
  rows.push(
    { section, figure: '1 writer: one 1-row append commit (median of 30)', dv: profile.appendMs, unit: 'ms' },
    { section, figure: '  of which ingest alone (1-row Arrow -> Parquet)', dv: profile.ingestMs, unit: 'ms' },
    { section, figure: '  protocol alone: empty commit (allowEmpty)', dv: profile.protocolMs, unit: 'ms' },
    ...(profile.durablePublishMs === undefined ? [] : [
      { section, figure: '  floor: one durable small-file publish (fsync x2)', dv: profile.durablePublishMs, unit: 'ms' as const },
    ]),
  )
  return {
    rows, notes,
    baselines: { 'pipeline-one-writer': 'the same run with 1 writer (ratio = 1-writer rate / this rate; < 1 means it scales)' },
  }
}

/** The pipeline figures, for run.ts (`--only pipeline`) and this script. */
export async function benchPipeline(ctx: BenchContext, options: PipelineOptions = {}): Promise<PipelineResult> {
  const wants = (part: string) => options.parts === undefined || options.parts.has(part)
  const out: PipelineResult = { rows: [], notes: [], baselines: {} }
  const add = (r: PipelineResult) => {
    out.rows.push(...r.rows)
    out.notes.push(...r.notes)
    Object.assign(out.baselines, r.baselines)
  }
  if (wants('commits')) add(await benchConcurrentAppends(ctx, options.commitsPerWriter ?? 50))
  if (wants('replace') || wants('upsert')) {
    const data = await ensurePipelineData(ctx, ctx.reps)
    if (wants('replace')) add({ rows: await benchReplacePartitions(ctx, data), notes: [], baselines: REWRITE_BASELINES })
    if (wants('upsert')) add({ rows: await benchUpsert(ctx, data), notes: [], baselines: REWRITE_BASELINES })
  }
  for (const name of Object.keys(out.baselines)) {
    if (!out.rows.some((r) => r.baselineName === name)) delete out.baselines[name]
  }
  return out
}

interface Args {
  reps: number
  commits: number
  parts: Set<string> | undefined
}

function parseArgs(argv: string[]): Args {
  const args: Args = { reps: 3, commits: 50, parts: undefined }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--reps') args.reps = Number(argv[++i])
    else if (a === '--commits') args.commits = Number(argv[++i])
    else if (a === '--only') args.parts = new Set((argv[++i] ?? '').split(','))
    else throw new Error(`unknown argument ${a}: expected --reps N, --commits N, --only ${PARTS.join(',')}`)
  }
  if (!(args.reps >= 1) || !(args.commits >= 1)) throw new Error('--reps and --commits take a positive number')
  for (const p of args.parts ?? []) if (!PARTS.includes(p)) throw new Error(`unknown part '${p}': expected ${PARTS.join(', ')}`)
  return args
}

async function main(): Promise<void> {
  if (process.env.GLIBC_TUNABLES !== BENCH_ENV.GLIBC_TUNABLES) {
    const child = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, ...BENCH_ENV } })
    process.exit(child.status ?? 1)
  }
  const args = parseArgs(process.argv.slice(2))
  const command = `node dist/bench/pipeline.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`
  const say = (line: string) => process.stderr.write(`  .. ${line}\n`)
  const environment = { node: process.version, cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`, loadAverageAtStart: loadavg().map((l) => l.toFixed(2)).join(' ') }
  console.log(`$ ${command}`)
  console.log(Object.entries(environment).map(([k, v]) => `${k}: ${v}`).join('; '))
  const data = await ensureDatasets(say)
  const work = join(DATA_DIR, 'work-pipeline')
  await rm(work, { recursive: true, force: true })
  await mkdir(work, { recursive: true })
  const started = performance.now()
  let result: PipelineResult
  try {
    result = await benchPipeline({ data, work, reps: args.reps, lightReps: args.reps, log: say }, { commitsPerWriter: args.commits, parts: args.parts })
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  const notes = [
    ...result.notes,
    `load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; total ${((performance.now() - started) / 1000).toFixed(0)} s`,
    'ratio = dv / baseline for times, baseline / dv for rates; figures are medians of the repetitions',
  ]
  console.log('')
  console.log(renderTable(result.rows))
  result.rows.forEach((r, i) => { if (r.note) console.log(`note on #${i + 1}: ${r.note}`) })
  console.log('')
  console.log('baselines:')
  for (const [name, text] of Object.entries(result.baselines)) console.log(`  ${name}: ${text}`)
  for (const n of notes) console.log(n)
  const name = args.parts ? `only-pipeline-${[...args.parts].sort().join('-')}.json` : 'pipeline.json'
  const path = await saveReport({ command, startedAt: new Date().toISOString(), environment, rows: result.rows, baselines: result.baselines, notes }, name)
  console.log(`wrote ${path.slice(ROOT.length + 1)}`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
