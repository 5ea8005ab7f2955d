/** What every scenario gets: the data, a work directory, repetitions, and runners for dv and the DuckDB baseline. */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository } from '../src/index.js'
import type { Datasets } from './data.js'
import { measureNode, type ProcessRun, type SpawnOptions } from './measure.js'
import { DIST_BENCH, DV_CLI } from './paths.js'

export interface BenchContext {
  data: Datasets
  /** Scratch directory for repositories and outputs (under bench/data). */
  work: string
  /** Repetitions of heavy steps (ingest, full reads). */
  reps: number
  /** Repetitions of light steps (one-row commits, branches). */
  lightReps: number
  log: (line: string) => void
}

/** `dv ARGS...` as a fresh process. */
export function runDv(args: string[], options: SpawnOptions = {}): Promise<ProcessRun> {
  return measureNode(DV_CLI, args, options)
}

export interface DuckRun extends ProcessRun {
  /** Instance creation (incl. module load) inside the child. */
  openMs: number
  /** Each statement's in-process time. */
  statementMs: number[]
}

/** DuckDB (default settings) running `statements` in a fresh process (long ones passed in a file). */
export async function runDuck(statements: string[]): Promise<DuckRun> {
  const files: string[] = []
  const args = await Promise.all(statements.map(async (sql) => {
    if (sql.length < 64 * 1024) return sql
    const path = join(tmpdir(), `dv-bench-sql-${randomUUID()}.sql`)
    await writeFile(path, sql)
    files.push(path)
    return `@${path}`
  }))
  let run: ProcessRun
  try {
    run = await measureNode(join(DIST_BENCH, 'duck-child.js'), args)
  } finally {
    await Promise.all(files.map((f) => rm(f, { force: true })))
  }
  const parsed = JSON.parse(run.stdout.trim().split('\n').pop()!) as { openMs: number; ms: number[] }
  return { ...run, openMs: parsed.openMs, statementMs: parsed.ms }
}

export interface LibraryRun extends ProcessRun {
  /** The library call alone, timed inside the child. */
  callMs: number
  /** What the call returned (JSON). */
  result: unknown
  /** A second call on the same repository, when the op makes one (query). */
  againMs?: number
}

/** One library call (see lib-child.ts) in a fresh process. */
export async function runLibrary(request: Record<string, unknown>): Promise<LibraryRun> {
  const run = await measureNode(join(DIST_BENCH, 'lib-child.js'), [JSON.stringify(request)])
  const parsed = JSON.parse(run.stdout.trim().split('\n').pop()!) as { ms: number; result: unknown; againMs?: number }
  return { ...run, callMs: parsed.ms, result: parsed.result, ...(parsed.againMs === undefined ? {} : { againMs: parsed.againMs }) }
}

/** A new repository (made through the library, like `dv init`) under the work directory. */
export async function freshRepo(ctx: BenchContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(ctx.work, `${prefix}-`))
  const repo = await Repository.init(dir)
  await repo.close()
  return dir
}

export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`
}
