/**
 * Crash at every storage step of a commit: a child process writes and
 * commits, and kills itself (SIGKILL) at its k-th durable storage step, for
 * every k. Afterwards the repository opens, the branch points at the old or
 * the new snapshot, verification is clean, and re-running the same write with
 * the same idempotency key yields exactly one commit.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest'
import { spawnSync, execFileSync } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Repository } from '../../src/index.js'

const ROOT = resolve(__dirname, '../..')
const CHILD = join(__dirname, 'commit-child.mjs')
let dir: string
let base: string
let csv: string
let oldHead: string

function runChild(repoRoot: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [CHILD, repoRoot, csv, 'crash-key-1'], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 })
}

beforeAll(async () => {
  try {
    await stat(join(ROOT, 'dist/src/index.js'))
  } catch {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' })
  }
  dir = await mkdtemp(join(tmpdir(), 'dv-crash-'))
  csv = join(dir, 'in.csv')
  await writeFile(csv, 'id,ts,kind\n' + Array.from({ length: 50 }, (_, i) => `${i},2026-01-0${(i % 3) + 1} 10:00:00,k${i % 5}\n`).join(''))
  base = join(dir, 'base')
  const repo = await Repository.init(base, { author: 'crash' })
  const first = await repo.write('events', csv, { commit: true, message: 'first', partitionBy: 'day(ts)' })
  oldHead = first.commit!.snapshot
  await repo.close()
}, 120_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('crash at every storage step of a commit', () => {
  it('leaves the old or the new head, verifies clean, and a retry lands exactly once', async () => {
    const counted = join(dir, 'count')
    await cp(base, counted, { recursive: true })
    const log = join(dir, 'steps.log')
    const dry = runChild(counted, { DV_STEP_LOG: log })
    expect(dry.status, dry.stderr).toBe(0)
    expect(JSON.parse(dry.stdout).snapshot).toMatch(/^[0-9a-f]{64}$/)
    const steps = (await readFile(log, 'utf8')).trim().split('\n')
    expect(steps.length).toBeGreaterThan(5)

    const outcomes = { old: 0, new: 0 }
    let locksLeft = 0
    for (let k = 1; k <= steps.length; k++) {
      const work = join(dir, `k${k}`)
      await cp(base, work, { recursive: true })
      const child = runChild(work, { DV_CRASH_AT: String(k) })
      expect(child.signal, `step ${k} (${steps[k - 1]}): ${child.stderr}`).toBe('SIGKILL')
      const repo = await Repository.open(work)
      try {
        const head = await repo.resolve('main')
        if (head !== oldHead) {
          // the new commit (its id differs from the dry run's only by its timestamp)
          const [entry] = await repo.log({ rev: head, limit: 1 })
          expect(entry.parents, `head after crash at step ${k} (${steps[k - 1]})`).toEqual([oldHead])
          expect(entry.idempotencyKey).toBe('crash-key-1')
        }
        outcomes[head === oldHead ? 'old' : 'new']++
        const v = await repo.verify()
        expect(v.problems, `verify after crash at step ${k}`).toEqual([])
        // the retry: same input, same key
        const retry = () => repo.write('events', csv, { commit: true, message: 'crash test', idempotencyKey: 'crash-key-1' })
        let again = await retry().catch((e) => e)
        if (again instanceof Error) {
          // a crash while holding the ref lock leaves it behind: never broken silently, named in the error
          expect(again).toMatchObject({ code: 'CONFLICT' })
          expect(again.message).toContain('main.lock')
          locksLeft++
          await rm(join(work, '.dv/refs/branches/main.lock'))
          again = await retry()
        }
        expect(again.commit!.idempotentReplay).toBe(head !== oldHead)
        const landed = await repo.log({ idempotencyKey: 'crash-key-1' })
        expect(landed).toHaveLength(1)
        expect((await repo.show('main', 'events')).table!.rows).toBe(100)
      } finally {
        await repo.close()
      }
      await rm(work, { recursive: true, force: true })
    }
    expect(outcomes.old).toBeGreaterThan(0)
    expect(outcomes.new).toBeGreaterThan(0)
    expect(locksLeft).toBeGreaterThan(0)
  }, 300_000)
})
