/**
 * The work items of the peer benchmark. Each repetition runs every system in
 * turn (dv CLI, dv library, deltalake, pyiceberg, DuckDB, then again), so the
 * machine's noise hits them alike; after each item every system's table (or
 * read result) is read back and checked (stats.ts).
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { median } from '../measure.js'
import { expectedStats, mismatches, type ReadBack, type Stats } from './stats.js'
import type { Runner, StepRun } from './systems.js'
import type { Cell, ResultRow, SystemName } from './table.js'

export interface PeerInputs {
  rows: number
  csv: string
  parquet: string
  /** One row, id = rows (appended again and again). */
  oneRow: string
}

export interface PeerContext {
  runners: Runner[]
  inputs: PeerInputs
  work: string
  reps: number
  lightReps: number
  concurrentReps: number
  writers: number
  commitsPerWriter: number
  /** Warm appends per process (the first, cold one is not counted). */
  warmAppends: number
  log: (line: string) => void
  /** Reads a Parquet file written by a time-travel read (independently of the system that wrote it). */
  statsOfFile: (path: string) => Promise<Stats>
  rows: ResultRow[]
  /** Read-back mismatches and failed steps: printed loudly, and the run exits non-zero. */
  problems: string[]
  /** What was read back and agreed, one line per item. */
  checks: string[]
}

/** Samples of one work item, per system and measure. */
class Item {
  readonly wall = new Map<SystemName, number[]>()
  readonly op = new Map<SystemName, number[]>()
  readonly rss = new Map<SystemName, number[]>()
  readonly na = new Map<SystemName, string>()
  readonly retries = new Map<SystemName, number>()

  constructor(readonly title: string, private readonly ctx: PeerContext) {}

  add(system: SystemName, run: StepRun, op?: number): void {
    const push = (m: Map<SystemName, number[]>, v: number) => m.set(system, [...(m.get(system) ?? []), v])
    push(this.wall, run.wallMs)
    push(this.rss, run.rssMiB)
    const opMs = op ?? (run.opMs?.length === 1 ? run.opMs[0] : undefined)
    if (opMs !== undefined) push(this.op, opMs)
    if (run.retries) this.retries.set(system, (this.retries.get(system) ?? 0) + run.retries)
  }

  /** Runs `step` for `runner`; a failure is a problem of the run, not the end of it. */
  async attempt<T>(runner: Runner, step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step()
    } catch (e) {
      const message = `${this.title}: ${runner.name} failed: ${(e as Error).message.slice(0, 1500)}`
      this.ctx.problems.push(message)
      this.ctx.log(`FAILED ${message}`)
      this.na.set(runner.name, 'failed')
      return undefined
    }
  }

  private cells(samples: Map<SystemName, number[]>): ResultRow['cells'] {
    const cells: Partial<Record<SystemName, Cell>> = {}
    for (const [system, reason] of this.na) cells[system] = { na: reason }
    for (const [system, values] of samples) if (!this.na.has(system)) cells[system] = { samples: values }
    return cells
  }

  rows(measures: { wall?: string; op?: string; rss?: boolean }, note?: string): ResultRow[] {
    const retries = [...this.retries].map(([s, n]) => `${s} retried ${n} lost commit race(s)`).join('; ')
    const fullNote = [note, retries].filter(Boolean).join('; ') || undefined
    const out: ResultRow[] = []
    if (measures.wall) out.push({ item: this.title, measure: measures.wall, unit: 'ms', cells: this.cells(this.wall), ...(fullNote ? { note: fullNote } : {}) })
    if (measures.op) out.push({ item: this.title, measure: measures.op, unit: 'ms', cells: this.cells(this.op) })
    if (measures.rss !== false) out.push({ item: this.title, measure: 'peak RSS', unit: 'MiB', cells: this.cells(this.rss) })
    return out
  }
}

function check(ctx: PeerContext, item: string, readBacks: ReadBack[]): void {
  const found = mismatches(item, readBacks)
  ctx.problems.push(...found)
  for (const p of found) ctx.log(`MISMATCH ${p}`)
  if (found.length > 0 || readBacks.length === 0) return
  // One line per group of systems that did the same work (DuckDB's table gets no appends, say).
  const groups = new Map<number, ReadBack[]>()
  for (const b of readBacks) groups.set(b.stats.rows, [...(groups.get(b.stats.rows) ?? []), b])
  const agreed = [...groups.values()].map((g) => {
    const s = g[0].stats
    return `${g.map((b) => b.system).join(', ')}: ${s.rows} rows, sum(id) ${s.sumId}, sum(value) ${s.sumValue.toFixed(4)}`
  })
  ctx.checks.push(`${item}: ${agreed.join('; ')}`)
}

async function readBackTables(ctx: PeerContext, item: string, tables: Map<Runner, string>, appends: (r: Runner) => number, ref?: (r: Runner) => string | undefined): Promise<void> {
  const readBacks: ReadBack[] = []
  for (const [runner, dir] of tables) {
    try {
      const stats = await runner.stats(dir, ref?.(runner))
      readBacks.push({ system: `${runner.name} table`, stats, expected: expectedStats(ctx.inputs.rows, appends(runner)) })
    } catch (e) {
      ctx.problems.push(`${item}: ${runner.name} could not read its table back: ${(e as Error).message.slice(0, 1500)}`)
    }
  }
  check(ctx, item, readBacks)
}

/** CSV or Parquet ingest into a new table; returns each system's last table (kept for the items after). */
export async function ingestItem(ctx: PeerContext, format: 'csv' | 'parquet'): Promise<Map<Runner, string>> {
  const item = new Item(`${format === 'csv' ? 'CSV' : 'Parquet'} ingest + commit`, ctx)
  const kept = new Map<Runner, string>()
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const runner of ctx.runners) {
      const dir = join(ctx.work, `${format}-${runner.name}-${rep}`)
      await item.attempt(runner, async () => {
        await runner.prepare(dir)
        item.add(runner.name, await runner.ingest(dir, format === 'csv' ? ctx.inputs.csv : ctx.inputs.parquet, format))
        const previous = kept.get(runner)
        if (previous) await rm(previous, { recursive: true, force: true })
        kept.set(runner, dir)
      })
    }
    ctx.log(`${item.title} ${rep + 1}/${ctx.reps}`)
  }
  await readBackTables(ctx, item.title, kept, () => 0)
  ctx.rows.push(...item.rows({ wall: 'process wall', op: 'op in process' }))
  return kept
}

/** One-row appends, one fresh process each; `appends` counts what each table got. */
export async function coldAppendItem(ctx: PeerContext, tables: Map<Runner, string>, appends: Map<Runner, number>): Promise<void> {
  const item = new Item('one-row append, cold process', ctx)
  for (let rep = 0; rep < ctx.lightReps; rep++) {
    for (const [runner, dir] of tables) {
      if (!runner.append) { item.na.set(runner.name, runner.na.append ?? 'n/a'); continue }
      await item.attempt(runner, async () => {
        item.add(runner.name, await runner.append!(dir, ctx.inputs.oneRow, 1))
        appends.set(runner, (appends.get(runner) ?? 0) + 1)
      })
    }
    ctx.log(`${item.title} ${rep + 1}/${ctx.lightReps}`)
  }
  await readBackTables(ctx, item.title, tables, (r) => appends.get(r) ?? 0)
  ctx.rows.push(...item.rows({ wall: 'process wall', op: 'op in process' }))
}

/** ctx.warmAppends + 1 appends in one process; the sample is the median of all but the first. */
export async function warmAppendItem(ctx: PeerContext, tables: Map<Runner, string>, appends: Map<Runner, number>): Promise<void> {
  const item = new Item(`one-row append, warm process (median of ${ctx.warmAppends} after the first)`, ctx)
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const [runner, dir] of tables) {
      if (!runner.append || runner.name === 'dv-cli') { item.na.set(runner.name, runner.na.append ?? 'a CLI process makes one commit'); continue }
      await item.attempt(runner, async () => {
        const run = await runner.append!(dir, ctx.inputs.oneRow, ctx.warmAppends + 1)
        appends.set(runner, (appends.get(runner) ?? 0) + ctx.warmAppends + 1)
        item.add(runner.name, run, median(run.opMs!.slice(1)))
      })
    }
    ctx.log(`${item.title} ${rep + 1}/${ctx.reps}`)
  }
  await readBackTables(ctx, item.title, tables, (r) => appends.get(r) ?? 0)
  ctx.rows.push(...item.rows({ op: 'per append, in process', rss: true }))
}

/** A time-travel read of each table's first version (its ingest), to a zstd Parquet file or to Arrow in memory. */
export async function readItem(ctx: PeerContext, tables: Map<Runner, string>, to: 'file' | 'arrow'): Promise<void> {
  const item = new Item(`time-travel read to ${to === 'file' ? 'a Parquet file' : 'Arrow'}`, ctx)
  const readBacks: ReadBack[] = []
  const expected = expectedStats(ctx.inputs.rows, 0)
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const [runner, dir] of tables) {
      const na = to === 'arrow' ? runner.na['read-arrow'] : undefined
      if (!runner.readFirst || na) { item.na.set(runner.name, na ?? 'n/a'); continue }
      await item.attempt(runner, async () => {
        const out = join(ctx.work, `read-${runner.name}.parquet`)
        const run = await runner.readFirst!(dir, to === 'file' ? { to, out } : { to })
        item.add(runner.name, run)
        const stats = to === 'file' ? await ctx.statsOfFile(out) : run.stats
        if (!stats) throw new Error('the read returned no summary')
        if (rep === ctx.reps - 1) readBacks.push({ system: `${runner.name} ${to}`, stats, expected })
        await rm(out, { force: true })
      })
    }
    ctx.log(`${item.title} ${rep + 1}/${ctx.reps}`)
  }
  check(ctx, item.title, readBacks)
  ctx.rows.push(...item.rows({ wall: 'process wall', op: 'op in process' }, 'the first version: the ingest, before the appends'))
}

export async function branchItem(ctx: PeerContext, tables: Map<Runner, string>, appends: Map<Runner, number>): Promise<void> {
  const item = new Item('branch creation', ctx)
  const withBranch = new Map<Runner, string>()
  for (let rep = 0; rep < ctx.lightReps; rep++) {
    for (const [runner, dir] of tables) {
      if (!runner.branch) { item.na.set(runner.name, runner.na.branch ?? 'n/a'); continue }
      await item.attempt(runner, async () => {
        item.add(runner.name, await runner.branch!(dir, `b${rep}`))
        withBranch.set(runner, dir)
      })
    }
    ctx.log(`${item.title} ${rep + 1}/${ctx.lightReps}`)
  }
  await readBackTables(ctx, `${item.title} (the last branch read back)`, withBranch, (r) => appends.get(r) ?? 0, () => `b${ctx.lightReps - 1}`)
  ctx.rows.push(...item.rows({ wall: 'process wall', op: 'op in process' }))
}

/** ctx.writers processes (the CLI: sequences of processes) each making ctx.commitsPerWriter one-row appends to one new table. */
export async function concurrentItem(ctx: PeerContext): Promise<void> {
  const { writers, commitsPerWriter: per } = ctx
  const item = new Item(`${writers} processes x ${per} one-row appends, same table`, ctx)
  const tables = new Map<Runner, string>()
  for (let rep = 0; rep < ctx.concurrentReps; rep++) {
    for (const runner of ctx.runners) {
      if (!runner.append) { item.na.set(runner.name, runner.na.append ?? 'n/a'); continue }
      const dir = join(ctx.work, `conc-${runner.name}-${rep}`)
      await item.attempt(runner, async () => {
        await runner.prepare(dir)
        await runner.ingest(dir, ctx.inputs.parquet, 'parquet')
        const started = performance.now()
        const worker = async (): Promise<StepRun[]> => {
          if (runner.name !== 'dv-cli') return [await runner.append!(dir, ctx.inputs.oneRow, per)]
          const runs: StepRun[] = []
          for (let i = 0; i < per; i++) runs.push(await runner.append!(dir, ctx.inputs.oneRow, 1))
          return runs
        }
        const runs = (await Promise.all(Array.from({ length: writers }, worker))).flat()
        const wallMs = performance.now() - started
        item.add(runner.name, { wallMs, rssMiB: Math.max(...runs.map((r) => r.rssMiB)), retries: runs.reduce((n, r) => n + (r.retries ?? 0), 0) })
        const previous = tables.get(runner)
        if (previous) await rm(previous, { recursive: true, force: true })
        tables.set(runner, dir)
      })
    }
    ctx.log(`${item.title} ${rep + 1}/${ctx.concurrentReps}`)
  }
  await readBackTables(ctx, item.title, tables, () => writers * per)
  ctx.rows.push(...item.rows({ wall: 'wall, all commits' }, 'dv CLI: each writer runs its appends as one CLI process after another; the others: one process per writer'))
  for (const dir of tables.values()) await rm(dir, { recursive: true, force: true })
}
