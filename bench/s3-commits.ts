/**
 * S3 figures through the full Repository on the loopback S3 test server:
 *   4. 1-row append commits with 1 and 8 writers (x 50), each commit with its
 *      own idempotency key: commits/s and latency p50/p95, 0 lost and 0
 *      duplicated (history checked by key, then acknowledged requests
 *      replayed: each must return its original snapshot and add nothing),
 *      against the same run on a local store;
 *   5. a time-travel read (`cat --at` to a null sink) of a snapshot whose
 *      objects are not in the local cache vs the same snapshot once cached,
 *      with the S3 GETs of data objects (target: 0 when cached).
 * The 1 GiB upload vs @aws-sdk/lib-storage is in s3.ts.
 *
 *   bash .ci/s3-server.sh start && source /tmp/dv-s3-server/env
 *   npm run build && node dist/bench/s3-commits.js [--commits N] [--reps N]
 * Results: bench/results/s3-commits.json.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Repository } from '../src/index.js'
import type { ObjectId } from '../src/ids.js'
import { openLocalStorage, openS3Storage, type S3Storage } from '../src/store/index.js'
import type { Storage } from '../src/store/types.js'
import { ensureDatasets } from './data.js'
import { median, timeIt } from './measure.js'
import { BENCH_ENV, DATA_DIR, ROOT } from './paths.js'
import { createTable, describeRun, oneRowTable, runWriters, type OpenStorage, type WriterRun } from './pipeline-commits.js'
import { ensurePipelineData } from './pipeline-rewrites.js'
import { renderTable, saveReport, type Row } from './report.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const endpoint = process.env.DV_TEST_S3_ENDPOINT ?? process.env.AWS_ENDPOINT_URL
const REPLAYS = 10

function parseArgs(argv: string[]): { commits: number; reps: number } {
  const args = { commits: 50, reps: 3 }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--commits') args.commits = Number(argv[++i])
    else if (argv[i] === '--reps') args.reps = Number(argv[++i])
    else throw new Error(`unknown argument ${argv[i]}: expected --commits N, --reps N`)
  }
  if (!(args.commits >= 1) || !(args.reps >= 1)) throw new Error('--commits and --reps take a positive number')
  return args
}

/** CPU seconds (user + system) used so far by the S3 server process, when its pid file is found (.ci/s3-server.sh state dir). */
async function serverCpuSeconds(): Promise<number | undefined> {
  try {
    const state = process.env.DV_S3_STATE_DIR ?? join(process.env.TMPDIR ?? '/tmp', 'dv-s3-server')
    const pid = (await readFile(join(state, 'pid'), 'utf8')).trim()
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

/** A Storage on the S3 URL (endpoint, region and credentials from the AWS environment, as `Repository.open('s3://...')`). */
function s3Store(url: string, cacheDir: string): S3Storage {
  return openS3Storage(url, { cache: { dir: cacheDir } })
}

/** Re-sends REPLAYS acknowledged requests with their keys: each must return its original snapshot and the history must not grow. */
async function replayAcknowledged(open: OpenStorage, run: WriterRun): Promise<{ replayed: number; original: number; grew: number }> {
  const names = [...run.snapshots.keys()]
  const picked = Array.from({ length: Math.min(REPLAYS, names.length) }, (_, i) => names[Math.floor((i * names.length) / REPLAYS)])
  const repo = await Repository.fromStorage(await open())
  try {
    let original = 0
    for (const name of picked) {
      const [, w, c] = /^w(\d+)-c(\d+)$/.exec(name)!
      const result = await repo.write('events', oneRowTable(Number(w), Number(c)), { commit: true, message: name, idempotencyKey: name })
      if (result.commit?.idempotentReplay === true && result.commit.snapshot === run.snapshots.get(name)) original++
    }
    const grew = (await repo.log({ rev: 'main' })).length - run.chainAfter
    return { replayed: picked.length, original, grew }
  } finally {
    await repo.close()
  }
}

/** Figure 4: 1 and 8 writers on S3 and on a local store. */
async function benchCommits(bucket: string, work: string, perWriter: number): Promise<{ rows: Row[]; notes: string[] }> {
  const section = 'S3: 1-row append commits, each with an idempotency key (Repository on the loopback server)'
  const rows: Row[] = []
  const notes: string[] = []
  for (const writers of [1, 8]) {
    const runs: Record<string, WriterRun> = {}
    let replay = { replayed: 0, original: 0, grew: 0 }
    const opened: S3Storage[] = []
    const requests: Record<string, number> = {}
    const server: { start?: Promise<number | undefined>; end?: Promise<number | undefined> } = {}
    const hooks = {
      onStart: () => {
        for (const s of opened) s.resetRequests()
        server.start = serverCpuSeconds()
      },
      onEnd: () => {
        for (const s of opened) for (const [k, n] of Object.entries(s.requests)) requests[k] = (requests[k] ?? 0) + n
        server.end = serverCpuSeconds()
      },
    }
    for (const kind of ['local', 's3'] as const) {
      let open: OpenStorage
      if (kind === 's3') {
        const url = `s3://${bucket}/commits-${writers}`
        const cache = await mkdtemp(join(work, 'cache-commits-'))
        open = () => {
          const storage = s3Store(url, cache)
          opened.push(storage)
          return Promise.resolve(storage)
        }
        await (await Repository.fromStorage(await open(), { init: true })).close()
      } else {
        const dir = await mkdtemp(join(work, 'local-'))
        await (await Repository.init(dir)).close()
        open = () => Promise.resolve(openLocalStorage(join(dir, '.dv')))
      }
      await createTable(open, 'events')
      process.stderr.write(`  .. commits: ${writers} writer(s) x ${perWriter} on ${kind}\n`)
      runs[kind] = await runWriters({ writers, commitsPerWriter: perWriter, open, table: 'events', idempotencyKeys: true, ...(kind === 's3' ? hooks : {}) })
      notes.push(`${kind}: ${describeRun(runs[kind])}`)
      if (kind === 's3') replay = await replayAcknowledged(open, runs[kind])
    }
    const { s3, local } = runs
    const clean = s3.lost === 0 && s3.duplicated === 0 && replay.original === replay.replayed && replay.grew === 0
    const perCommit = Object.entries(requests).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${(n / runs.s3.acknowledged).toFixed(1)}`).join(', ')
    const [cpuStart, cpuEnd] = [await server.start, await server.end]
    const serverCpu = cpuStart === undefined || cpuEnd === undefined ? 'unknown (no pid file: set DV_S3_STATE_DIR)'
      : `${(((cpuEnd - cpuStart) * 1000) / runs.s3.acknowledged).toFixed(1)} ms per commit (${((cpuEnd - cpuStart) / runs.s3.seconds).toFixed(2)} cores busy)`
    notes.push(`s3, ${writers} writer(s): S3 requests per acknowledged commit (all writers, retries included): ${perCommit}; S3 server CPU ${serverCpu}`)
    notes.push(`s3, ${writers} writer(s): replayed ${replay.replayed} acknowledged requests with their keys: ${replay.original} returned the original snapshot, history grew by ${replay.grew}`)
    const label = `${writers} writer(s) x ${perWriter}`
    rows.push(
      {
        section, figure: `${label}: acknowledged commits/s`, dv: s3.commitsPerSecond, unit: 'commits/s',
        baselineName: 's3-local-store', baseline: local.commitsPerSecond, ratio: local.commitsPerSecond / s3.commitsPerSecond,
        ...(writers === 8 ? { target: '0 lost, 0 duplicated', pass: clean } : {}),
        note: `lost ${s3.lost}, duplicated ${s3.duplicated}, failed ${s3.attempted - s3.acknowledged}, CAS conflicts retried ${s3.conflictsRetried} ` +
          `(local: ${local.conflictsRetried}); replays returning the original snapshot ${replay.original}/${replay.replayed}`,
      },
      { section, figure: `${label}: commit latency p50`, dv: s3.p50Ms, unit: 'ms', baselineName: 's3-local-store', baseline: local.p50Ms, ratio: s3.p50Ms / local.p50Ms },
      { section, figure: `${label}: commit latency p95`, dv: s3.p95Ms, unit: 'ms', baselineName: 's3-local-store', baseline: local.p95Ms, ratio: s3.p95Ms / local.p95Ms },
    )
  }
  return { rows, notes }
}

interface ReadRun {
  ms: number
  gets: number
  dataGets: number
  /** GETs by what they fetched: config, ref, metadata object, data object. */
  getsByKind: Record<string, number>
  requests: number
  rows: number
}

function kindOf(key: string, dataIds: Set<string>): string {
  if (key.endsWith('config.json')) return 'config'
  if (key.includes('/refs/') || key.startsWith('refs/')) return 'ref'
  return dataIds.has(key.slice(key.lastIndexOf('/') + 1)) ? 'data object' : 'metadata object'
}

/** One `cat --at` to a null sink through a fresh Repository whose object cache is `cacheDir`. */
async function timeRead(url: string, cacheDir: string, at: string, dataIds: Set<string>): Promise<ReadRun> {
  process.env.DV_CACHE_DIR = cacheDir
  const storage = s3Store(url, cacheDir)
  const getKeys: string[] = []
  const { ctx } = storage.probeContext()
  for (const client of [ctx.client, ctx.casClient]) {
    client.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') getKeys.push(String((args.input as { Key?: string }).Key ?? ''))
      return next(args)
    }, { step: 'initialize', name: 'benchGetKeys' })
  }
  const objects = new Proxy(storage.objects, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown
      if (prop === 'localPath') return (id: ObjectId) => (dataIds.add(id), target.localPath(id))
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
  const wrapped: Storage = {
    objects, refs: storage.refs, reflog: storage.reflog, location: storage.location,
    readConfig: () => storage.readConfig(), createConfig: (b) => storage.createConfig(b), close: () => storage.close(),
  }
  const repo = await Repository.fromStorage(wrapped)
  try {
    storage.resetRequests()
    getKeys.length = 0
    const sink = new Writable({ write: (_chunk, _enc, done) => done() })
    const { ms, value } = await timeIt(() => repo.cat('events', sink, { at, format: 'parquet' }))
    const getsByKind: Record<string, number> = {}
    for (const key of getKeys) getsByKind[kindOf(key, dataIds)] = (getsByKind[kindOf(key, dataIds)] ?? 0) + 1
    const requests = Object.values(storage.requests).reduce((n, c) => n + c, 0)
    return { ms, gets: getKeys.length, dataGets: getsByKind['data object'] ?? 0, getsByKind, requests, rows: value.rows }
  } finally {
    await repo.close()
  }
}

/** Figure 5: time-travel read of a 20-file snapshot, uncached vs cached. */
async function benchCachedRead(bucket: string, work: string, reps: number): Promise<{ rows: Row[]; notes: string[] }> {
  const say = (line: string) => process.stderr.write(`  .. ${line}\n`)
  const data = await ensurePipelineData({ data: await ensureDatasets(say), work, reps: 1, lightReps: 1, log: say }, 1)
  const url = `s3://${bucket}/reads`
  const repo = await Repository.fromStorage(s3Store(url, await mkdtemp(join(work, 'cache-writer-'))), { init: true })
  let at: string
  try {
    say(`reads: writing 20 files (${data.chunks.length} appends of 100,000 rows) to ${url}`)
    for (const chunk of data.chunks) await repo.write('events', chunk, { commit: true, message: 'append' })
    at = await repo.resolve('main')
    // two later commits (to another table), so the read is time travel to HEAD~2
    for (let i = 0; i < 2; i++) await repo.write('other', oneRowTable(0, i), { commit: true, message: `later ${i}` })
  } finally {
    await repo.close()
  }
  const dataIds = new Set<string>()
  const uncached: ReadRun[] = []
  const cached: ReadRun[] = []
  for (let i = 0; i < reps; i++) {
    say(`reads: repetition ${i + 1}/${reps}`)
    const cacheDir = await mkdtemp(join(work, 'cache-reader-'))
    uncached.push(await timeRead(url, cacheDir, at, dataIds))
    cached.push(await timeRead(url, cacheDir, at, dataIds))
    await rm(cacheDir, { recursive: true, force: true })
  }
  const section = 'S3: time-travel read of a 20-file, 2M-row snapshot (cat --at to a null sink, parquet)'
  const dv = median(cached.map((r) => r.ms))
  const base = median(uncached.map((r) => r.ms))
  const last = (runs: ReadRun[]) => runs[runs.length - 1]
  const describe = (r: ReadRun) => `${r.rows} rows, ${r.requests} S3 requests, ${r.gets} GETs (` +
    `${Object.entries(r.getsByKind).map(([k, n]) => `${n} ${k}`).join(', ')})`
  return {
    rows: [
      {
        section, figure: 'cached snapshot (new Repository, same cache dir)', dv, unit: 'ms',
        baselineName: 's3-uncached-read', baseline: base, ratio: dv / base,
        target: '0 data GETs', pass: cached.every((r) => r.dataGets === 0),
        samples: cached.map((r) => r.ms), baselineSamples: uncached.map((r) => r.ms),
        note: `cached: ${describe(last(cached))}; uncached: ${describe(last(uncached))}`,
      },
    ],
    notes: [`reads at ${at.slice(0, 12)} (HEAD~2); data objects seen: ${dataIds.size}; data GETs per run: uncached ${uncached.map((r) => r.dataGets).join(', ')}, cached ${cached.map((r) => r.dataGets).join(', ')}`],
  }
}

async function main(): Promise<void> {
  if (endpoint === undefined) {
    console.error('set DV_TEST_S3_ENDPOINT or AWS_ENDPOINT_URL (bash .ci/s3-server.sh start; source /tmp/dv-s3-server/env)')
    process.exit(2)
  }
  if (process.env.GLIBC_TUNABLES !== BENCH_ENV.GLIBC_TUNABLES) {
    const child = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, ...BENCH_ENV } })
    process.exit(child.status ?? 1)
  }
  const args = parseArgs(process.argv.slice(2))
  const command = `node dist/bench/s3-commits.js${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`
  const environment = { node: process.version, cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`, endpoint, loadAverageAtStart: loadavg().map((l) => l.toFixed(2)).join(' ') }
  console.log(`$ ${command}`)
  console.log(Object.entries(environment).map(([k, v]) => `${k}: ${v}`).join('; '))
  await mkdir(DATA_DIR, { recursive: true })
  const work = await mkdtemp(join(tmpdir(), 'dv-bench-s3c-'))
  const started = performance.now()
  const rows: Row[] = []
  const notes: string[] = []
  try {
    const bucket = `dv-bench-${randomUUID().slice(0, 8)}`
    const client = new S3Client({ endpoint, forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' })
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
    client.destroy()
    for (const part of [await benchCommits(bucket, work, args.commits), await benchCachedRead(bucket, work, args.reps)]) {
      rows.push(...part.rows)
      notes.push(...part.notes)
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  notes.push(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; total ${((performance.now() - started) / 1000).toFixed(0)} s`)
  notes.push('ratio = dv / baseline for times, baseline / dv for rates (how many times slower S3 is than the baseline)')
  const baselines: Record<string, string> = {
    's3-local-store': 'the same writers, commits and checks on a local store (Repository on a .dv directory), same process, run just before',
    's3-uncached-read': 'the same read through a new Repository with an empty cache directory (DV_CACHE_DIR), run just before',
  }
  console.log('')
  console.log(renderTable(rows))
  rows.forEach((r, i) => { if (r.note) console.log(`note on #${i + 1}: ${r.note}`) })
  console.log('')
  console.log('baselines:')
  for (const [name, text] of Object.entries(baselines)) console.log(`  ${name}: ${text}`)
  for (const n of notes) console.log(n)
  const path = await saveReport({ command, startedAt: new Date().toISOString(), environment: environment as Record<string, string>, rows, baselines, notes }, 's3-commits.json')
  console.log(`wrote ${path.slice(ROOT.length + 1)}`)
}

await main()
