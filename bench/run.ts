/**
 * `npm run bench [-- --big] [--reps N] [--light-reps N] [--no-profile] [--only PART,...]`: dv against
 * DuckDB baselines measured in the same run; prints a table and writes
 * bench/results/latest.json. `npm run bench -- --peers ...`: dv against
 * deltalake, pyiceberg and DuckDB instead (bench/peers/main.ts).
 */
import { spawnSync } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDatasets } from './data.js'
import type { BenchContext } from './harness.js'
import { benchCsvIngest, benchParquetIngest } from './ingest.js'
import { benchNestedIngest } from './nested.js'
import { benchSchemaIngest } from './schema-ingest.js'
import { benchTimeTravelRead } from './read.js'
import { benchCommitCost } from './commit-cost.js'
import { benchMergeCost } from './merge-cost.js'
import { benchCompact } from './compact.js'
import { benchExportCost } from './export-cost.js'
import { benchStartup } from './startup.js'
import { benchColdStart } from './cold-start.js'
import { benchBig } from './big.js'
import { benchPipeline } from './pipeline.js'
import { benchDiff, DIFF_BASELINES } from './diff.js'
import { benchQuery, QUERY_BASELINES } from './query.js'
import { profileStages, type StageTimes } from './stages.js'
import { peakRssMethod } from './measure.js'
import { BENCH_ENV, DATA_DIR, ROOT } from './paths.js'
import { renderTable, saveReport, type Report, type Row } from './report.js'
import { runPeers } from './peers/main.js'

interface Args {
  big: boolean
  reps: number
  lightReps: number
  profile: boolean
  /** Run only these parts (startup, cold, csv, parquet, nested, schema, read, commit, profile, big, pipeline, diff, diff-rows, export, compact, query); default: all but pipeline, diff, export and compact. */
  only: Set<string> | undefined
}

function parseArgs(argv: string[]): Args {
  const args: Args = { big: false, reps: 5, lightReps: 7, profile: true, only: undefined }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--big') args.big = true
    else if (a === '--no-profile') args.profile = false
    else if (a === '--reps') args.reps = Number(argv[++i])
    else if (a === '--light-reps') args.lightReps = Number(argv[++i])
    else if (a === '--only') args.only = new Set((argv[++i] ?? '').split(','))
    else throw new Error(`unknown argument ${a}: expected --big, --reps N, --light-reps N, --no-profile, --only PART[,PART]`)
  }
  if (!(args.reps >= 1) || !(args.lightReps >= 1)) throw new Error('--reps and --light-reps take a positive number')
  return args
}

/** The allocator setting must be in place when the process starts: re-run this script with it. */
function ensureBenchEnv(): void {
  if (process.env.GLIBC_TUNABLES === BENCH_ENV.GLIBC_TUNABLES) return
  const child = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, ...BENCH_ENV } })
  process.exit(child.status ?? 1)
}

const BASELINES: Record<string, string> = {
  'duckdb-copy-compact': "DuckDB 1.5.6 (@duckdb/node-api, default settings): COPY (SELECT * FROM read_parquet([1,000 files])) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd), statement time inside a fresh node process",
  'duckdb-copy-csv': "DuckDB 1.5.6 (@duckdb/node-api, default settings, 2 threads): COPY (SELECT * FROM read_csv('bench.csv')) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd), statement time inside a fresh node process",
  'duckdb-copy-csv-process': 'the same COPY, wall time of the whole node process (node + DuckDB load + COPY)',
  'duckdb-copy-json': "DuckDB 1.5.6 (@duckdb/node-api, default settings, 2 threads): COPY (SELECT * FROM read_json('events-1m.ndjson')) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd), statement time inside a fresh node process",
  'duckdb-copy-json-process': 'the same read_json COPY, wall time of the whole node process',
  'store-floor': 'in-process: stream the Parquet file through node:crypto SHA-256 (1 MiB chunks) into a new file on the same disk, fsync: the physical floor of storing it by content',
  'duckdb-read-parquet': "DuckDB COPY (SELECT * FROM read_parquet([the snapshot's object files])) TO out (FORMAT parquet, COMPRESSION zstd), statement time in a fresh process",
  'duckdb-read-csv': "DuckDB COPY (SELECT * FROM read_parquet([the snapshot's object files])) TO out (FORMAT csv, HEADER true), statement time in a fresh process",
  'one-file-table': 'the same operation on the repository whose table has 1 data file (same schema, partition spec and row count)',
  'one-file-table-build': 'building the 1-file table (same rows, one partition value)',
  'duckdb-open-in-process': 'module load + DuckDBInstance.create + connect, measured inside the process',
  'node-empty-script': 'node running an empty script: the start-up floor of any node CLI, measured in the same loop',
  'dv-inferred-csv': "the same CSV written by dv to a new table of the same repository (DuckDB's sniffer plus dv's lossless-inference pass), CLI process wall",
  'duckdb-copy-big': 'DuckDB COPY of the big CSV to zstd Parquet in a fresh process (statement time; RSS of that process)',
}

async function environment(): Promise<Record<string, string | number>> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')) as { version: string }
  return {
    node: process.version,
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    duckdbNodeApi: pkg.version,
    GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? '',
    peakRss: peakRssMethod(),
    loadAverageAtStart: loadavg().map((l) => l.toFixed(2)).join(' '),
  }
}

function commandLine(): string {
  const args = process.argv.slice(2).join(' ')
  const viaNpm = process.env.npm_lifecycle_event === 'bench'
  return viaNpm ? `npm run bench${args ? ` -- ${args}` : ''}` : `node dist/bench/run.js${args ? ` ${args}` : ''}`
}

async function main(): Promise<void> {
  ensureBenchEnv()
  if (process.argv.includes('--peers')) {
    // dv against deltalake, pyiceberg and DuckDB: a run of its own (bench/peers/)
    process.exitCode = await runPeers(process.argv.slice(2), commandLine())
    return
  }
  const args = parseArgs(process.argv.slice(2))
  const command = commandLine()
  const startedAt = new Date().toISOString()
  const env = await environment()
  const say = (line: string) => process.stderr.write(`  .. ${line}\n`)
  console.log(`$ ${command}`)
  console.log(`(GLIBC_TUNABLES=${BENCH_ENV.GLIBC_TUNABLES} set for this process, every dv process and every baseline)`)
  console.log(Object.entries(env).map(([k, v]) => `${k}: ${v}`).join('; '))
  const data = await ensureDatasets(say)
  const work = join(DATA_DIR, 'work')
  await rm(work, { recursive: true, force: true })
  await mkdir(work, { recursive: true })
  const ctx: BenchContext = { data, work, reps: args.reps, lightReps: args.lightReps, log: say }
  const started = performance.now()
  const rows: Row[] = []
  const notes: string[] = []
  let stages: StageTimes | undefined
  try {
    const wants = (part: string) => args.only === undefined || args.only.has(part)
    if (wants('startup')) rows.push(...(await benchStartup(ctx)))
    if (wants('cold')) rows.push(...(await benchColdStart(ctx)))
    if (wants('csv') || wants('read')) {
      const csv = await benchCsvIngest(ctx)
      rows.push(...csv.rows)
      if (wants('read')) rows.push(...(await benchTimeTravelRead(ctx, csv.keptRepo)))
    }
    if (wants('parquet')) rows.push(...(await benchParquetIngest(ctx)))
    if (wants('nested')) rows.push(...(await benchNestedIngest(ctx)))
    if (wants('schema')) rows.push(...(await benchSchemaIngest(ctx)))
    if (wants('commit')) rows.push(...(await benchCommitCost(ctx)))
    if (wants('merge')) rows.push(...(await benchMergeCost(ctx)))
    if (args.profile && wants('profile')) stages = await profileStages(ctx)
    if (args.only?.has('compact')) rows.push(...(await benchCompact(ctx))) // only on request: commits 1,000 files to set up (~1 min)
    if (args.only?.has('export')) rows.push(...(await benchExportCost(ctx))) // only on request: 300 commits to set up (~1-2 min)
    if (args.big || args.only?.has('big')) rows.push(...(await benchBig(ctx)))
    if (args.only?.has('query')) {
      // only on request: a 2M-row table and three processes a repetition (~1 min)
      rows.push(...(await benchQuery(ctx)))
      Object.assign(BASELINES, QUERY_BASELINES)
    }
    if (args.only?.has('diff') || args.only?.has('diff-rows')) {
      // only on request: builds a 1M-row repository and (diff, not diff-rows) a 1,000-commit history (~2-4 min)
      rows.push(...(await benchDiff(ctx, { history: args.only.has('diff') })))
      Object.assign(BASELINES, DIFF_BASELINES)
    }
    if (args.only?.has('pipeline')) {
      // only on request: pipeline.ts (node dist/bench/pipeline.js) is its own run (~1 min)
      const pipeline = await benchPipeline(ctx)
      rows.push(...pipeline.rows)
      notes.push(...pipeline.notes)
      Object.assign(BASELINES, pipeline.baselines)
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  notes.push(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 vCPUs shared with other work: figures are noisy, compare within a row)`)
  notes.push(`total bench time ${((performance.now() - started) / 1000).toFixed(0)} s (data generation excluded)`)
  notes.push('ratio = dv / baseline for times, baseline / dv for MB/s (how many times slower dv is); RSS = peak over repetitions')
  console.log('')
  console.log(renderTable(rows))
  rows.forEach((r, i) => { if (r.note) console.log(`note on #${i + 1}: ${r.note}`) })
  console.log('')
  console.log('baselines:')
  const used = new Set(rows.map((r) => r.baselineName).filter((n): n is string => n !== undefined))
  for (const name of used) console.log(`  ${name}: ${BASELINES[name] ?? name}`)
  if (stages) {
    console.log('')
    console.log('stages (in-process, internal modules, one run each, ms):')
    for (const [name, ms] of Object.entries(stages)) console.log(`  ${name.padEnd(90)} ${ms.toFixed(0).padStart(6)}`)
  }
  for (const n of notes) console.log(n)
  const report: Report = {
    command, startedAt, environment: env, rows,
    baselines: Object.fromEntries([...used].map((n) => [n, BASELINES[n] ?? n])), notes, ...(stages ? { stages } : {}),
  }
  // A partial run must not overwrite the full run's figures.
  const path = await saveReport(report, args.only ? `only-${[...args.only].sort().join('-')}.json` : 'latest.json')
  console.log(`wrote ${path.slice(ROOT.length + 1)}`)
}

await main()
