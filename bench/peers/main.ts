/**
 * `npm run bench -- --peers [--rows N] [--reps N] [--light-reps N]
 * [--concurrent-reps N] [--only ITEM,...] [--json]`: dv against deltalake,
 * pyiceberg and DuckDB on the same work in one run (bench/README.md, "Peers").
 * Prints a table (or, with --json, one JSON document) and writes
 * bench/results/peers-<rows>.json. Exits non-zero when a system read back
 * other rows or sums than the rest, or a step failed.
 */
import { access, mkdir, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { generateMainRows } from '../data.js'
import { sqlString } from '../harness.js'
import { peakRssMethod } from '../measure.js'
import { DATA_DIR, RESULTS_DIR, ROOT } from '../paths.js'
import { branchItem, coldAppendItem, concurrentItem, ingestItem, readItem, warmAppendItem, type PeerContext, type PeerInputs } from './items.js'
import type { Stats } from './stats.js'
import { dvCli, dvLib, peerRunners, probePeers, type Runner } from './systems.js'
import { renderPeerTable, summarizeRow } from './table.js'

const ITEMS = ['csv', 'parquet', 'append', 'warm', 'read', 'branch', 'concurrent'] as const
type ItemName = (typeof ITEMS)[number]

interface Args {
  rows: number
  reps: number
  lightReps: number
  concurrentReps: number
  only: Set<ItemName>
  json: boolean
}

export function parsePeerArgs(argv: string[]): Args {
  const args: Args = { rows: 500_000, reps: 3, lightReps: 5, concurrentReps: 2, only: new Set(ITEMS), json: false }
  const count = (flag: string, text: string | undefined) => {
    const n = Number(text)
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive whole number, not ${text}`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--peers') continue
    else if (a === '--json') args.json = true
    else if (a === '--rows') args.rows = count(a, argv[++i])
    else if (a === '--reps') args.reps = count(a, argv[++i])
    else if (a === '--light-reps') args.lightReps = count(a, argv[++i])
    else if (a === '--concurrent-reps') args.concurrentReps = count(a, argv[++i])
    else if (a === '--only') {
      const names = (argv[++i] ?? '').split(',')
      const unknown = names.filter((n) => !(ITEMS as readonly string[]).includes(n))
      if (unknown.length) throw new Error(`--only: unknown item(s) ${unknown.join(', ')}; items: ${ITEMS.join(', ')}`)
      args.only = new Set(names as ItemName[])
    } else throw new Error(`unknown argument ${a} with --peers: expected --rows N, --reps N, --light-reps N, --concurrent-reps N, --only ITEM[,ITEM], --json`)
  }
  return args
}

/** The inputs at `rows` rows, generated once into bench/data/peers-<rows>/ (deterministic: data.ts). */
async function ensureInputs(rows: number, log: (line: string) => void): Promise<PeerInputs> {
  const dir = join(DATA_DIR, `peers-${rows}`)
  const inputs: PeerInputs = { rows, csv: join(dir, 'data.csv'), parquet: join(dir, 'data.parquet'), oneRow: join(dir, 'one-row.csv') }
  const done = join(dir, 'complete')
  if (await access(done).then(() => true, () => false)) return inputs
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const started = performance.now()
  await generateMainRows(inputs.csv, rows, 'csv')
  await generateMainRows(inputs.parquet, rows, 'parquet')
  await generateMainRows(inputs.oneRow, 1, 'csv', rows)
  await writeFile(done, '')
  log(`generated ${rows} rows (CSV, Parquet) and the one-row CSV in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return inputs
}

/** A read result checked by DuckDB (in this process), independently of the system that wrote it. */
async function statsOfFile(path: string): Promise<Stats> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n, coalesce(sum(id), 0)::VARCHAR AS s, coalesce(sum(value), 0)::DOUBLE AS v FROM read_parquet(${sqlString(path)})`)
    const row = reader.getRowObjects()[0] as { n: bigint; s: string; v: number }
    return { rows: Number(row.n), sumId: row.s, sumValue: row.v }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

export async function runPeers(argv: string[], command: string): Promise<number> {
  const args = parsePeerArgs(argv)
  const log = (line: string) => process.stderr.write(`  .. ${line}\n`)
  const out = (line: string) => { if (!args.json) console.log(line) }
  const probe = await probePeers(process.env.DV_TEST_PYTHON)
  const runners: Runner[] = [dvCli, dvLib]
  const notes: string[] = []
  if ('missing' in probe) {
    const warning = `PEERS NOT RUN: ${probe.missing}. Running dv alone; there is no peer to compare with.`
    process.stderr.write(`\n!! ${warning}\n\n`)
    notes.push(warning)
  } else {
    runners.push(...peerRunners(process.env.DV_TEST_PYTHON!))
  }
  const environment = {
    node: process.version, cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`, memoryGiB: Math.round(totalmem() / 2 ** 30),
    peakRss: peakRssMethod(), loadAverageAtStart: loadavg().map((l) => l.toFixed(2)).join(' '),
    ...('versions' in probe ? probe.versions : {}),
  }
  out(`$ ${command}`)
  out(Object.entries(environment).map(([k, v]) => `${k}: ${v}`).join('; '))
  const inputs = await ensureInputs(args.rows, log)
  const work = join(DATA_DIR, 'peers-work')
  await rm(work, { recursive: true, force: true })
  await mkdir(work, { recursive: true })
  const ctx: PeerContext = {
    runners, inputs, work, reps: args.reps, lightReps: args.lightReps, concurrentReps: args.concurrentReps,
    writers: 4, commitsPerWriter: 25, warmAppends: 20, log, statsOfFile, rows: [], problems: [], checks: [],
  }
  const startedAt = new Date().toISOString()
  const started = performance.now()
  const wants = (item: ItemName) => args.only.has(item)
  try {
    if (wants('csv')) {
      const tables = await ingestItem(ctx, 'csv')
      for (const dir of tables.values()) await rm(dir, { recursive: true, force: true })
    }
    if (['parquet', 'append', 'warm', 'read', 'branch'].some((i) => wants(i as ItemName))) {
      const tables = await ingestItem(ctx, 'parquet')
      const appends = new Map<Runner, number>()
      if (wants('append')) await coldAppendItem(ctx, tables, appends)
      if (wants('warm')) await warmAppendItem(ctx, tables, appends)
      if (wants('read')) {
        await readItem(ctx, tables, 'file')
        await readItem(ctx, tables, 'arrow')
      }
      if (wants('branch')) await branchItem(ctx, tables, appends)
    }
    if (wants('concurrent')) await concurrentItem(ctx)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  notes.push(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 vCPUs shared with other work: compare within a row)`)
  notes.push(`total time ${((performance.now() - started) / 1000).toFixed(0)} s (data generation excluded)`)
  const rows = ctx.rows.map(summarizeRow)
  const report = { command, startedAt, environment, rows, checks: ctx.checks, problems: ctx.problems, notes }
  await mkdir(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, `peers-${args.rows}.json`)
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`)
  if (args.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`)
  } else {
    out('')
    out(renderPeerTable(rows))
    out('cells: median (min-max) of the repetitions; ratios: dv median / the best peer\'s median (above 1: dv is slower or larger)')
    rows.forEach((r) => { if (r.note) out(`${r.item}: ${r.note}`) })
    out('')
    for (const c of ctx.checks) out(`read-back OK  ${c}`)
    for (const n of notes) out(n)
    out(`wrote ${path.slice(ROOT.length + 1)}`)
  }
  if (ctx.problems.length > 0) {
    process.stderr.write(`\n!! ${ctx.problems.length} PROBLEM(S): the systems did not all do the same work\n${ctx.problems.map((p) => `!! ${p}`).join('\n')}\n`)
    return 1
  }
  return 0
}
