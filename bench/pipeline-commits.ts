/**
 * Concurrent small-append commits on ONE branch: W writers in this process,
 * each its own Repository over its own Storage opened on the same store,
 * each commit appending a 1-row Arrow table. Afterwards the branch history
 * is checked: every acknowledged commit appears exactly once (by message, or
 * by idempotency key when keys are used). Shared by pipeline.ts (local
 * store) and s3-commits.ts (the loopback S3 server).
 */
import { tableFromArrays, type Table } from 'apache-arrow'
import { isDvError, Repository } from '../src/index.js'
import type { RefStore, Storage } from '../src/store/types.js'

/** A new Storage on the store under test (each writer and the checker get their own). */
export type OpenStorage = () => Promise<Storage>

export interface WriterRunOptions {
  writers: number
  commitsPerWriter: number
  open: OpenStorage
  table: string
  branch?: string
  /** Give every commit its own idempotency key and check the history by key. */
  idempotencyKeys?: boolean
  /** Called right before the timed commits start and right after they end (e.g. to count store requests). */
  onStart?: () => void
  onEnd?: () => void
}

export interface WriterRun {
  writers: number
  attempted: number
  acknowledged: number
  /** Writes that threw, by DvError code. */
  failed: Record<string, number>
  /** The first message of each failure code. */
  failureExamples: Record<string, string>
  /** Ref compare-and-swaps that lost a race (each one retried by the commit protocol). */
  conflictsRetried: number
  seconds: number
  /** CPU time of this whole process (user + system) during the timed commits, per acknowledged commit. */
  cpuMsPerCommit: number
  commitsPerSecond: number
  p50Ms: number
  p95Ms: number
  /** History length (first-parent chain) before the timed commits and after. */
  chainBefore: number
  chainAfter: number
  /** Acknowledged commits missing from the history. */
  lost: number
  /** Requests that appear more than once in the history. */
  duplicated: number
  /** Commits in the history that no writer saw acknowledged (outcome-unknown writes that landed). */
  unacknowledgedLanded: number
  /** Request name (`w<writer>-c<seq>`) -> the snapshot its acknowledgement returned. */
  snapshots: Map<string, string>
}

/** One row: writer, sequence number, a value. */
export function oneRowTable(writer: number, seq: number): Table {
  return tableFromArrays({
    writer: Int32Array.from([writer]),
    seq: Int32Array.from([seq]),
    value: Float64Array.from([seq * 0.5 + writer]),
  })
}

/** `storage` with its ref store counting the compare-and-swaps that failed with CONFLICT (objects untouched). */
export function countConflicts(storage: Storage, counter: { conflicts: number }): Storage {
  const inner = storage.refs
  const refs: RefStore = {
    get: (name) => inner.get(name),
    list: (prefix) => inner.list(prefix),
    compareAndSwap: async (name, expected, next) => {
      try {
        return await inner.compareAndSwap(name, expected, next)
      } catch (e) {
        if (isDvError(e, 'CONFLICT')) counter.conflicts++
        throw e
      }
    },
  }
  return {
    objects: storage.objects, refs, reflog: storage.reflog, location: storage.location,
    readConfig: () => storage.readConfig(), createConfig: (b) => storage.createConfig(b), close: () => storage.close(),
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

export function requestName(writer: number, seq: number): string {
  return `w${writer}-c${seq}`
}

/** Creates `table` with one row (before the writers start, so no writer races to create it). */
export async function createTable(open: OpenStorage, table: string, branch = 'main'): Promise<void> {
  const repo = await Repository.fromStorage(await open())
  try {
    await repo.write(table, oneRowTable(-1, 0), { commit: true, message: 'create', branch })
  } finally {
    await repo.close()
  }
}

async function historyOf(open: OpenStorage, branch: string): Promise<Array<{ message: string; idempotencyKey?: string }>> {
  const repo = await Repository.fromStorage(await open())
  try {
    return await repo.log({ rev: branch })
  } finally {
    await repo.close()
  }
}

/**
 * W writers x N commits. Each writer first makes one untimed warm-up commit
 * (loading its data engine); then all start together and the clock runs
 * until the last writer is done.
 */
export async function runWriters(options: WriterRunOptions): Promise<WriterRun> {
  const { writers, commitsPerWriter, open, table } = options
  const branch = options.branch ?? 'main'
  const counter = { conflicts: 0 }
  const repos = await Promise.all(Array.from({ length: writers }, async () => Repository.fromStorage(countConflicts(await open(), counter))))
  const acked: string[] = []
  const snapshots = new Map<string, string>()
  const latencies: number[] = []
  const failed: Record<string, number> = {}
  const failureExamples: Record<string, string> = {}
  let seconds = 0
  let cpuMs = 0
  let chainBefore = 0
  try {
    await Promise.all(repos.map((repo, w) => repo.write(table, oneRowTable(w, -1), { commit: true, message: `warm-up w${w}`, branch })))
    chainBefore = (await historyOf(open, branch)).length
    counter.conflicts = 0
    options.onStart?.()
    const cpu = process.cpuUsage()
    const started = performance.now()
    await Promise.all(repos.map(async (repo, w) => {
      for (let i = 0; i < commitsPerWriter; i++) {
        const name = requestName(w, i)
        const t0 = performance.now()
        try {
          const result = await repo.write(table, oneRowTable(w, i), {
            commit: true, message: name, branch, ...(options.idempotencyKeys ? { idempotencyKey: name } : {}),
          })
          latencies.push(performance.now() - t0)
          acked.push(name)
          snapshots.set(name, result.commit?.snapshot ?? '')
        } catch (e) {
          const code = isDvError(e) ? e.code : 'ERROR'
          failed[code] = (failed[code] ?? 0) + 1
          failureExamples[code] ??= `${name}: ${e instanceof Error ? e.message : String(e)}`
        }
      }
    }))
    seconds = (performance.now() - started) / 1000
    options.onEnd?.()
    const used = process.cpuUsage(cpu)
    cpuMs = (used.user + used.system) / 1000
  } finally {
    for (const repo of repos) await repo.close()
  }
  const history = await historyOf(open, branch)
  const seen = new Map<string, number>()
  for (const entry of history) {
    const name = options.idempotencyKeys ? entry.idempotencyKey : entry.message
    if (name !== undefined && /^w\d+-c\d+$/.test(name)) seen.set(name, (seen.get(name) ?? 0) + 1)
  }
  const ackedSet = new Set(acked)
  return {
    writers,
    attempted: writers * commitsPerWriter,
    acknowledged: acked.length,
    failed,
    failureExamples,
    conflictsRetried: counter.conflicts,
    seconds,
    cpuMsPerCommit: cpuMs / acked.length,
    commitsPerSecond: acked.length / seconds,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    chainBefore,
    chainAfter: history.length,
    lost: acked.filter((n) => !seen.has(n)).length,
    duplicated: [...seen.values()].filter((c) => c > 1).length,
    unacknowledgedLanded: [...seen.keys()].filter((n) => !ackedSet.has(n)).length,
    snapshots,
  }
}

/** One line describing a run, for the notes under the table. */
export function describeRun(r: WriterRun): string {
  const failed = Object.entries(r.failed).map(([code, n]) => `${n} ${code} (first: ${r.failureExamples[code]})`).join(', ') || 'none'
  return `${r.writers} writer(s) x ${r.attempted / r.writers}: ${r.acknowledged}/${r.attempted} acknowledged in ${r.seconds.toFixed(2)} s, ` +
    `${r.commitsPerSecond.toFixed(1)} commits/s, latency p50 ${r.p50Ms.toFixed(1)} ms p95 ${r.p95Ms.toFixed(1)} ms, ` +
    `CAS conflicts retried ${r.conflictsRetried}, failed ${failed}, process CPU ${r.cpuMsPerCommit.toFixed(1)} ms per commit ` +
    `(${((r.cpuMsPerCommit * r.acknowledged) / 1000 / r.seconds).toFixed(2)} cores busy); history ${r.chainBefore} -> ${r.chainAfter} ` +
    `(= ${r.chainBefore} + ${r.acknowledged} acknowledged + ${r.unacknowledgedLanded} unacknowledged), lost ${r.lost}, duplicated ${r.duplicated}`
}
