/**
 * Crash at every storage step of a write+commit, for every write mode (G5):
 * a child process writes and commits with an idempotency key, and kills
 * itself (SIGKILL) at its k-th durable storage step, for every k. Afterwards
 * the repository opens, the branch points at the old or the new snapshot,
 * verification is clean, and re-running the same write with the same
 * idempotency key yields exactly one commit, with the table's content equal
 * to that of an uninterrupted run. The reflog, read against the ref, always
 * has the head's update on top, and the commit exactly once.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository, type WriteOptions } from '../../src/index.js'
import { ensureDistBuilt } from './ensure-dist.js'
import { runNode } from '../support/run-node.js'
import { TextSink } from '../support/text-sink.js'

const CHILD = join(__dirname, 'commit-child.mjs')
/** Crash runs in flight at once (each is a child process, then checks in this process). */
const PARALLEL = Number(process.env.DV_CRASH_PARALLEL ?? 4)
let dir: string
let base: string
let oldHead: string
let oldContent: string[]

interface ModeCase {
  mode: string
  rows?: string[]
  options: Pick<WriteOptions, 'mode' | 'where' | 'key'>
}

const row = (id: number, day: number, kind: string) => `${id},2026-01-0${day} 10:00:00,${kind}`
// Each input touches one partition, so that every mode writes few objects (K stays small).
// The default suite kills append and delete --where (a new file; copy-on-write rewrites). The
// other modes publish the same kinds of objects through the same commit: they run with DV_STRESS=1
// or DV_CRASH_MODES (a step of .ci/run runs them), which keeps this file near a minute of the
// default suite on 2 cores. Of delete --where the default suite kills a sample (SAMPLED below).
const CASES: ModeCase[] = [
  { mode: 'append', rows: [row(100, 1, 'new')], options: {} },
  { mode: 'overwrite', rows: [row(200, 1, 'only'), row(201, 1, 'only')], options: { mode: 'overwrite' } },
  { mode: 'overwrite --where', rows: [row(300, 2, 'day2')], options: { mode: 'overwrite', where: "ts >= '2026-01-02' AND ts < '2026-01-03'" } },
  { mode: 'replace-partitions', rows: [row(400, 3, 'day3'), row(401, 3, 'day3')], options: { mode: 'replace-partitions' } },
  { mode: 'delete --where', options: { mode: 'delete', where: 'id = 4' } },
  { mode: 'upsert', rows: [row(1, 2, 'upd'), row(500, 2, 'ins')], options: { mode: 'upsert', key: ['id'] } },
]

/** DV_CRASH_MODES=append,upsert runs only those (local iteration); default: every mode. */
const ONLY = process.env.DV_CRASH_MODES?.split(',').map((m) => m.trim())
const STRESS_ONLY = ['overwrite', 'overwrite --where', 'replace-partitions', 'upsert']
const SELECTED = ONLY ? CASES.filter((c) => ONLY.includes(c.mode))
  : process.env.DV_STRESS === '1' ? CASES : CASES.filter((c) => !STRESS_ONLY.includes(c.mode))
/**
 * The modes killed at a sample of the steps unless DV_STRESS=1 or DV_CRASH_MODES names them (the
 * stress step of .ci/run kills them at every step). Before the commit (the reflog and ref steps)
 * a write publishes its objects one after another through the same put, the same labels in the
 * same order for each object (object.tmp-write ... object.tmp-unlink; append kills every one of
 * them); the sample kills every step from the commit's first one on, and before it every odd
 * step: an object's publish is 5 or 7 steps (7 when its prefix directory is new), an odd number,
 * so the odd steps land on every label of the publish, on one object or another (the test checks
 * that the sample covers every label of the dry run). About a third fewer runs for the mode.
 */
const SAMPLED = ONLY || process.env.DV_STRESS === '1' ? [] : ['delete --where']


/** The table's rows at main as sorted CSV lines. */
async function contentOf(repo: Repository): Promise<string[]> {
  const out = new TextSink()
  await repo.cat('events', out, { format: 'csv' })
  return out.text.trim().split('\n').slice(1).sort()
}

/** Runs `task` for 1..n with at most `limit` in flight. */
async function forEachStep(n: number, limit: number, task: (k: number) => Promise<void>): Promise<void> {
  let next = 1
  const lanes = Array.from({ length: Math.min(limit, n) }, async () => {
    while (next <= n) await task(next++)
  })
  await Promise.all(lanes)
}

beforeAll(async () => {
  await ensureDistBuilt()
  dir = await mkdtemp(join(tmpdir(), 'dv-crash-'))
  const csv = join(dir, 'base.csv')
  // 12 rows over 3 day partitions (id i in day i % 3 + 1), kinds k0, k1
  await writeFile(csv, 'id,ts,kind\n' + Array.from({ length: 12 }, (_, i) => `${row(i, (i % 3) + 1, `k${i % 2}`)}\n`).join(''))
  base = join(dir, 'base')
  const repo = await Repository.init(base, { author: 'crash' })
  try {
    const first = await repo.write('events', csv, { commit: true, message: 'first', partitionBy: 'day(ts)' })
    oldHead = first.commit!.snapshot
    oldContent = await contentOf(repo)
  } finally {
    await repo.close()
  }
}, 180_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe.each(SELECTED.map((c) => ({ ...c, steps: SAMPLED.includes(c.mode) ? 'a sample of the storage steps' : 'every storage step' })))('crash at $steps of $mode', (c) => {
  it('leaves the old or the new head, verifies clean, and a retry lands exactly once', async () => {
    const slug = c.mode.replace(/[^a-z]+/g, '-')
    const input = c.rows ? join(dir, `${slug}.csv`) : '-'
    if (c.rows) await writeFile(input, 'id,ts,kind\n' + c.rows.map((r) => `${r}\n`).join(''))
    const retry = (repo: Repository) => repo.write('events', input === '-' ? undefined : input, {
      ...c.options, commit: true, message: 'crash test', idempotencyKey: 'crash-key-1',
    })

    // dry run: count the steps K and record the uninterrupted result
    const counted = join(dir, `${slug}-count`)
    await cp(base, counted, { recursive: true })
    const log = join(dir, `${slug}-steps.log`)
    const dry = await runNode(CHILD, [counted, input, 'crash-key-1', JSON.stringify(c.options)], { DV_STEP_LOG: log })
    expect(dry.code, dry.stderr).toBe(0)
    expect(JSON.parse(dry.stdout).snapshot).toMatch(/^[0-9a-f]{64}$/)
    const steps = (await readFile(log, 'utf8')).trim().split('\n')
    expect(steps.length).toBeGreaterThan(5)
    const dryRepo = await Repository.open(counted)
    const newContent = await contentOf(dryRepo).finally(() => dryRepo.close())
    expect(newContent).not.toEqual(oldContent)
    await rm(counted, { recursive: true, force: true })

    const outcomes = { old: 0, new: 0 }
    let locksLeft = 0
    // six steps past the dry run's K, in case this run needs more (new object directories for the
    // snapshot and rewritten files: see below); those may finish uncrashed
    let completed = 0
    /** One crashed child: `k` is a step number, or undefined for a crash named by label in `env`. */
    const runCase = async (name: string, env: Record<string, string>, k?: number): Promise<void> => {
      const work = join(dir, `${slug}-${name}`)
      await cp(base, work, { recursive: true })
      const stepLog = `${work}.steps.log`
      const child = await runNode(CHILD, [work, input, 'crash-key-1', JSON.stringify(c.options)], { ...env, DV_STEP_LOG: stepLog })
      // K varies by a step or two between runs (an object directory may already exist for the new
      // snapshot's hash prefix): this run's own step log tells which step it crashed at, if any
      const ran = (await readFile(stepLog, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean)
      await rm(stepLog, { force: true })
      const what = `${c.mode}: crash at ${k === undefined ? `step '${env.DV_CRASH_AT_LABEL}'` : `step ${k} (${ran[k - 1] ?? 'after the last step'})`}`
      if (child.code === 0 && k !== undefined) {
        expect(ran.length, `${what}: finished without reaching step ${k}`).toBeLessThan(k)
        completed++
      } else expect(child.signal, `${what}: ${child.stderr}`).toBe('SIGKILL')
      const repo = await Repository.open(work)
      try {
        const head = await repo.resolve('main')
        if (head !== oldHead) {
          // the new commit (its id differs from the dry run's only by its timestamp)
          const [entry] = await repo.log({ rev: head, limit: 1 })
          expect(entry.parents, what).toEqual([oldHead])
          expect(entry.idempotencyKey, what).toBe('crash-key-1')
        }
        // (an unchanged head names the same immutable, hash-verified objects: its content is the old one)
        if (head !== oldHead) expect(await contentOf(repo), what).toEqual(newContent)
        outcomes[head === oldHead ? 'old' : 'new']++
        expect((await repo.verify()).problems, what).toEqual([])
        // the reflog agrees with the ref (format-spec/reflog.md#reading): its newest entry is the head's update,
        // and an entry written before a swap that never happened is not on it
        const log = (await repo.reflog('main')).entries
        expect(log.map((e) => [e.snapshot, e.message]).slice(0, 2), what).toEqual(head === oldHead
          ? [[oldHead, 'commit: first'], [expect.any(String), 'init']]
          : [[head, 'commit: crash test'], [oldHead, 'commit: first']])
        // the retry: same input, same key
        let again = await retry(repo).catch((e: unknown) => e)
        if (again instanceof Error) {
          // a crash while holding the ref lock leaves it behind: never broken silently, named in the error
          expect(again, what).toMatchObject({ code: 'CONFLICT' })
          expect(again.message, what).toContain('main.lock')
          locksLeft++
          await rm(join(work, '.dv/refs/branches/main.lock'))
          again = await retry(repo)
        }
        const result = again as Awaited<ReturnType<typeof retry>>
        expect(result.commit!.idempotentReplay, what).toBe(head !== oldHead)
        expect(await repo.log({ idempotencyKey: 'crash-key-1' }), what).toHaveLength(1)
        const after = (await repo.reflog('main')).entries
        expect(after[0]!.snapshot, what).toBe(await repo.resolve('main'))
        expect(after.filter((e) => e.message === 'commit: crash test'), what).toHaveLength(1)
        expect(await contentOf(repo), what).toEqual(newContent)
        expect((await repo.verify()).problems, what).toEqual([])
      } finally {
        await repo.close()
      }
      await rm(work, { recursive: true, force: true })
    }
    const commitStart = steps.findIndex((label) => !label.startsWith('object.')) + 1
    expect(commitStart, steps.join(', ')).toBeGreaterThan(1)
    const ks = Array.from({ length: steps.length + 6 }, (_, i) => i + 1)
      .filter((k) => !SAMPLED.includes(c.mode) || k >= commitStart || k % 2 === 1)
    expect(new Set(ks.map((k) => steps[k - 1]).filter(Boolean)), 'every label is killed at').toEqual(new Set(steps))
    await forEachStep(ks.length, PARALLEL, (i) => runCase(`k${ks[i - 1]}`, { DV_CRASH_AT: String(ks[i - 1]) }, ks[i - 1]))
    // the step right after the ref update, by name: whatever this run's K, one crash lands after the commit
    await runCase('after-ref-update', { DV_CRASH_AT_LABEL: 'ref.dir-fsync' })
    console.log(`${c.mode}: K=${steps.length} steps, ${ks.length + 1} crash runs, head old ${outcomes.old} / new ${outcomes.new} (${completed} uncrashed), ${locksLeft} lock(s) left`)
    expect(outcomes.old).toBeGreaterThan(0)
    expect(outcomes.new - completed).toBeGreaterThan(0) // a crash after the ref update
    expect(locksLeft).toBeGreaterThan(0)
  }, 300_000)
})
