/**
 * How each system of the peer benchmark does a work step, as a fresh process:
 * dv's CLI, dv's library (dv-child.ts), and deltalake, pyiceberg and DuckDB
 * through peer.py. Every step reports the process wall, the peak RSS and, when
 * the process can time it, the operation alone.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Repository } from '../../src/index.js'
import { runDv } from '../harness.js'
import { measureNode, measureProcess, type ProcessRun } from '../measure.js'
import { DIST_BENCH, ROOT } from '../paths.js'
import type { DvReply, DvRequest } from './dv-child.js'
import { runDvRequest } from './dv-child.js'
import type { Stats } from './stats.js'
import type { SystemName } from './table.js'

export const TABLE = 'bench'

export interface StepRun {
  wallMs: number
  rssMiB: number
  /** Each operation's time inside the process (absent for the CLI). */
  opMs?: number[]
  /** Commits another process won that this one retried (peers that retry in peer.py). */
  retries?: number
  /** What a read to Arrow returned. */
  stats?: Stats
}

export type ReadTarget = { to: 'arrow' } | { to: 'file'; out: string }

/** What a system does; a missing step is "n/a" for it, with the reason in `na`. */
export interface Runner {
  name: SystemName
  prepare(dir: string): Promise<void>
  ingest(dir: string, source: string, format: 'csv' | 'parquet'): Promise<StepRun>
  append?(dir: string, source: string, count: number): Promise<StepRun>
  /** Reads the table's first version (its ingest). */
  readFirst?(dir: string, target: ReadTarget): Promise<StepRun>
  branch?(dir: string, name: string): Promise<StepRun>
  /** The table (or branch `ref`) read back by the system's own reader, untimed. */
  stats(dir: string, ref?: string): Promise<Stats>
  na: Partial<Record<'append' | 'read-arrow' | 'branch', string>>
}

const PEER_SCRIPT = join(ROOT, 'bench', 'peers', 'peer.py')

function reply<T>(run: ProcessRun): T {
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as T
}

function fromReply(run: ProcessRun, parsed: { ms?: number[]; retries?: number; stats?: Stats }): StepRun {
  return { wallMs: run.ms, rssMiB: run.rssMiB, opMs: parsed.ms, retries: parsed.retries, stats: parsed.stats }
}

/** The snapshot a table's first commit made (dv's time-travel target), oldest on main's first-parent chain. */
async function firstSnapshot(dir: string): Promise<string> {
  const repo = await Repository.open(dir)
  try {
    const entries = await repo.log()
    // The oldest entry is the repository's empty root commit; the ingest is the one after it.
    const ingest = entries.at(-2)
    if (!ingest) throw new Error(`${dir}: no commit after the root`)
    return ingest.snapshot
  } finally {
    await repo.close()
  }
}

async function dvChild(request: DvRequest): Promise<StepRun> {
  const run = await measureNode(join(DIST_BENCH, 'peers', 'dv-child.js'), [JSON.stringify(request)])
  return fromReply(run, reply<DvReply>(run))
}

async function dvStats(dir: string, ref?: string): Promise<Stats> {
  return (await runDvRequest({ op: 'stats', dir, table: TABLE, ...(ref === undefined ? {} : { at: ref }) })).stats!
}

async function initRepo(dir: string): Promise<void> {
  await (await Repository.init(dir)).close()
}

export const dvCli: Runner = {
  name: 'dv-cli',
  prepare: initRepo,
  async ingest(dir, source) {
    const run = await runDv(['-C', dir, 'write', TABLE, source, '--commit', '-m', 'ingest'])
    return { wallMs: run.ms, rssMiB: run.rssMiB }
  },
  async append(dir, source, count) {
    if (count !== 1) throw new Error('dv-cli: one append per process')
    const run = await runDv(['-C', dir, 'write', TABLE, source, '--commit', '-m', 'append'])
    return { wallMs: run.ms, rssMiB: run.rssMiB }
  },
  async readFirst(dir, target) {
    if (target.to !== 'file') throw new Error('dv-cli reads to files only')
    const run = await runDv(['-C', dir, 'cat', TABLE, '--at', await firstSnapshot(dir), '--format', 'parquet'], { stdoutFile: target.out })
    return { wallMs: run.ms, rssMiB: run.rssMiB }
  },
  async branch(dir, name) {
    const run = await runDv(['-C', dir, 'branch', name])
    return { wallMs: run.ms, rssMiB: run.rssMiB }
  },
  stats: dvStats,
  na: { 'read-arrow': 'the CLI writes files (Arrow IPC to stdout is not a CLI format)' },
}

export const dvLib: Runner = {
  name: 'dv-lib',
  prepare: initRepo,
  ingest: (dir, source) => dvChild({ op: 'ingest', dir, table: TABLE, source }),
  append: (dir, source, count) => dvChild({ op: 'append', dir, table: TABLE, source, count }),
  async readFirst(dir, target) {
    const at = await firstSnapshot(dir)
    return dvChild(target.to === 'arrow' ? { op: 'read', dir, table: TABLE, at, to: 'arrow' } : { op: 'read', dir, table: TABLE, at, to: 'file', out: target.out })
  },
  branch: (dir, name) => dvChild({ op: 'branch', dir, name }),
  stats: dvStats,
  na: {},
}

/** A peer through peer.py with `python`. */
function peer(name: SystemName, system: string, python: string, na: Runner['na']): Runner {
  const call = async (request: Record<string, unknown>) => {
    const run = await measureProcess(python, [PEER_SCRIPT, JSON.stringify({ system, ...request })])
    return { run, parsed: reply<{ ms?: number[]; retries?: number; stats?: Stats }>(run) }
  }
  const step = async (request: Record<string, unknown>) => {
    const { run, parsed } = await call(request)
    return fromReply(run, parsed)
  }
  const runner: Runner = {
    name,
    prepare: async (dir) => { await mkdir(dir, { recursive: true }) },
    ingest: (dir, source, format) => step({ op: 'ingest', dir, source, format }),
    readFirst: (dir, target) => step({ op: 'read', dir, ...target }),
    stats: async (dir, ref) => (await call({ op: 'stats', dir, ...(ref === undefined ? {} : { ref }) })).parsed.stats!,
    na,
  }
  if (na.append === undefined) runner.append = (dir, source, count) => step({ op: 'append', dir, source, count })
  if (na.branch === undefined) runner.branch = (dir, name) => step({ op: 'branch', dir, name })
  return runner
}

export function peerRunners(python: string): Runner[] {
  return [
    peer('deltalake', 'delta', python, { branch: 'Delta Lake has no branches' }),
    peer('pyiceberg', 'iceberg', python, {}),
    peer('duckdb', 'duckdb', python, {
      append: 'DuckDB has no table that several processes commit to (a Parquet file per write is not a commit)',
      branch: 'DuckDB has no branches',
    }),
  ]
}

/** Versions of the peers, or why they cannot run (the harness then runs dv alone, saying so). */
export async function probePeers(python: string | undefined): Promise<{ versions: Record<string, string> } | { missing: string }> {
  const how = 'run eval "$(bash .ci/py-tools.sh)" first (it sets DV_TEST_PYTHON to a venv with deltalake, pyiceberg, duckdb)'
  if (!python) return { missing: `DV_TEST_PYTHON is not set: ${how}` }
  try {
    const run = await measureProcess(python, [PEER_SCRIPT, JSON.stringify({ op: 'probe' })])
    return reply<{ versions: Record<string, string> }>(run)
  } catch (e) {
    return { missing: `${python} cannot run the peers (${(e as Error).message.split('\n').slice(-1)[0]}): ${how}` }
  }
}
