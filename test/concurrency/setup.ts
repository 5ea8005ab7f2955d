/** Shared set-up of the in-process concurrency suites: a base repository, writers, and the history check. */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DvError, isDvError, Repository } from '../../src/index.js'
import type { Storage } from '../../src/store/types.js'
import { createMemoryStorage, openLocalStorage, type FaultyStorage } from '../../src/store/index.js'
import type { RetryPolicy } from '../../src/table/commit.js'
import { checkHistory, firstParentChain, type Attempt, type ChainCommit, type CheckResult } from './history-checker.js'
import { runWriter } from './writer-loop.mjs'
import { TextSink } from '../support/text-sink.js'

export interface BaseRepo {
  /** The undecorated store (for checking after the run). */
  storage: Storage
  /** Snapshots of the branch before the writers started. */
  baseIds: string[]
  inputs: string
}

/** A Storage whose close() does nothing, so several Repository instances can share one store. */
export function sharedStorage(storage: Storage): Storage {
  return Object.assign(Object.create(Object.getPrototypeOf(storage)) as Storage, storage, { close: async () => undefined })
}

/** A store holding table `events` (columns id, worker, seq) with one row, on disk under `dir` or in memory. */
export async function createBaseRepo(dir: string, kind: 'local' | 'memory'): Promise<BaseRepo> {
  const inputs = join(dir, 'inputs')
  await mkdir(inputs, { recursive: true })
  const csv = join(inputs, 'base.csv')
  await writeFile(csv, 'id,worker,seq\nbase,base,0\n')
  let storage: Storage
  if (kind === 'local') {
    const root = join(dir, 'repo')
    const repo = await Repository.init(root, { author: 'base' })
    await repo.write('events', csv, { commit: true, message: 'base' })
    await repo.close()
    storage = openLocalStorage(join(root, '.dv'))
  } else {
    storage = createMemoryStorage()
    const repo = await Repository.fromStorage(sharedStorage(storage), { init: true, author: 'base' })
    await repo.write('events', csv, { commit: true, message: 'base' })
    await repo.close()
  }
  const repo = await Repository.fromStorage(sharedStorage(storage))
  const baseIds = (await repo.log()).map((e) => e.snapshot)
  await repo.close()
  return { storage, baseIds, inputs }
}

export const FAST_RETRY: Partial<RetryPolicy> = { attempts: 20, startingDelayMs: 1, maxDelayMs: 50, totalMs: 30_000 }

export async function openWriter(storage: Storage, retry: Partial<RetryPolicy> = FAST_RETRY): Promise<Repository> {
  return Repository.fromStorage(sharedStorage(storage), { retry, author: 'writer' })
}

/** Runs one writer per repository concurrently, `commits` commits each; returns every attempt (ops get `round` as a prefix of the attempt number). */
export async function runWriters(repos: Repository[], commits: number, inputs: string, options: { maxAttempts?: number; round?: string } = {}): Promise<Attempt[]> {
  const per = await Promise.all(repos.map((repo, i) => runWriter({ repo, worker: `w${i}`, commits, dir: inputs, ...options })))
  return per.flat()
}

/** The `id` column of table events at main, scanned by the data engine, sorted. */
export async function catIds(repo: Repository): Promise<string[]> {
  const out = new TextSink()
  await repo.cat('events', out, { format: 'csv', columns: ['id'] })
  return out.text.trim().split('\n').slice(1).sort()
}

/** The ids the table must hold: the base row and one per acknowledged key. */
export function expectedIds(attempts: Attempt[]): string[] {
  return ['base', ...acknowledgedKeys(attempts)].sort()
}

export interface BranchCheck {
  check: CheckResult
  chain: ChainCommit[]
  /** Row count from the table metadata, and the ids a real scan returns. */
  rows: number
  ids: string[]
  problems: Array<{ object?: string; ref?: string; message: string }>
}

/** Reads main through the undecorated store and runs the history checker, the row count and verify. */
export async function checkBranch(base: BaseRepo, attempts: Attempt[]): Promise<BranchCheck> {
  const repo = await Repository.fromStorage(sharedStorage(base.storage))
  try {
    const head = await repo.resolve('main')
    const chain = firstParentChain(head, await repo.log({ rev: head }))
    const check = checkHistory(attempts, chain, { base: base.baseIds })
    const rows = (await repo.show('main', 'events')).table!.rows
    const ids = await catIds(repo)
    const { problems } = await repo.verify()
    return { check, chain, rows, ids, problems }
  } finally {
    await repo.close()
  }
}

export function countOutcomes(attempts: Attempt[]): Record<string, number> {
  const out: Record<string, number> = { ok: 0, conflict: 0, unknown: 0, error: 0, replay: 0 }
  for (const a of attempts) {
    out[a.outcome]++
    if (a.replay) out.replay++
  }
  return out
}

export function acknowledgedKeys(attempts: Attempt[]): Set<string> {
  return new Set(attempts.filter((a) => a.outcome === 'ok').map((a) => a.key))
}

/** After every `every`-th lost response, the next `reads` ref reads fail: the writer's status check cannot settle the outcome. */
export function failRefReadsAfterLostResponse(faulty: FaultyStorage, every: number, reads = 3): Storage {
  let lost = 0
  let failReads = 0
  return {
    ...faulty,
    refs: {
      async get(name) {
        if (failReads > 0) {
          failReads--
          throw new DvError('STORAGE', `injected failure reading ref '${name}' after a lost response`)
        }
        return faulty.refs.get(name)
      },
      list: (prefix) => faulty.refs.list(prefix),
      async compareAndSwap(name, expected, next) {
        try {
          return await faulty.refs.compareAndSwap(name, expected, next)
        } catch (e) {
          if (isDvError(e, 'OUTCOME_UNKNOWN') && ++lost % every === 1 % every) failReads = reads
          throw e
        }
      },
    },
  }
}

