/**
 * `dv merge SOURCE --idempotency-key KEY` through the built CLI: the retry
 * exits 0 saying it returned the landed merge commit; the key reused for
 * another source exits 4 and changes nothing; an empty key exits 2; and four
 * processes racing the same keyed merge make one merge commit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runNode } from '../support/run-node.js'
import { buildIfStale, DV, runDv, type DvRun } from './run-dv.js'

let work: string
let lake: string
const dv = (...args: string[]): DvRun => runDv(args, { cwd: lake })
const ok = (...args: string[]): DvRun => {
  const r = dv(...args)
  expect(r.stderr, args.join(' ')).toBe('')
  expect(r.code, args.join(' ')).toBe(0)
  return r
}
let n = 0
function input(...rows: string[]): string {
  const name = `in-${++n}.csv`
  writeFileSync(path.join(lake, name), `id,ts\n${rows.map((r) => `${r}\n`).join('')}`)
  return name
}
const head = (): string => (JSON.parse(ok('--json', 'show', 'main').stdout) as { commit: { snapshot: string } }).commit.snapshot
const day = (d: number, id: number) => `${id},2026-01-0${d} 10:00:00`

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-merge-idem-'))
  lake = path.join(work, 'lake')
  expect(runDv(['init', 'lake'], { cwd: work }).code).toBe(0)
  ok('write', 'events', input(day(1, 1), day(2, 2)), '--partition-by', 'day(ts)', '--commit', '-m', 'base')
  for (const b of ['b', 'c', 'race']) ok('branch', b)
  ok('write', 'events', input(day(3, 3)), '--branch', 'b', '--commit', '-m', 'on b')
  ok('write', 'events', input(day(4, 4)), '--branch', 'c', '--commit', '-m', 'on c')
  ok('write', 'events', input(day(5, 5)), '--branch', 'race', '--commit', '-m', 'on race')
  ok('write', 'events', input(day(1, 6)), '--commit', '-m', 'on main')
}, 120_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dv merge --idempotency-key', () => {
  it('a retry exits 0 and says the merge had landed; the key for another source exits 4; an empty key exits 2', () => {
    const first = JSON.parse(ok('--json', 'merge', 'b', '--idempotency-key', 'k1').stdout)
    expect(first).toMatchObject({ status: 'merged', idempotentReplay: false })
    ok('write', 'events', input(day(2, 7)), '--commit', '-m', 'main moves on')
    const again = ok('merge', 'b', '--idempotency-key', 'k1')
    expect(again.lines[0]).toBe(`already merged: b landed in main as ${first.snapshot.slice(0, 7)} (same idempotency key): nothing new was written`)
    const before = head()
    const reused = dv('merge', 'c', '--idempotency-key', 'k1')
    expect(reused.code).toBe(4)
    expect(reused.stderr).toMatch(/^error: idempotency key 'k1' was already used by snapshot [0-9a-f]{7} on branch 'main' for the merge of [0-9a-f]{7}, not for this merge of 'c'/)
    expect(reused.stderr).toMatch(/hint: use a new key for a new merge/)
    const empty = dv('merge', 'c', '--idempotency-key', '')
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/^error: the idempotency key is empty/)
    expect(head()).toBe(before)
  })

  it('four processes racing the same keyed merge: one merge commit, every process exits 0 with it', async () => {
    const before = head()
    const runs = await Promise.all(Array.from({ length: 4 }, () => runNode(DV, ['--json', 'merge', 'race', '--idempotency-key', 'race-1'], { DV_DIR: lake, DV_AUTHOR: 'Test <test@example.com>' })))
    for (const r of runs) expect(r.code, r.stderr).toBe(0)
    const results = runs.map((r) => JSON.parse(r.stdout) as { snapshot: string; idempotentReplay: boolean })
    expect(new Set(results.map((r) => r.snapshot)).size).toBe(1)
    expect(results.filter((r) => !r.idempotentReplay)).toHaveLength(1)
    const entries = JSON.parse(ok('--json', 'log', '-n', '2').stdout) as Array<{ snapshot: string; parents: string[] }>
    expect(entries[0]!.snapshot).toBe(results[0]!.snapshot)
    expect(entries[0]!.parents[0]).toBe(before)
    expect(entries[1]!.snapshot).toBe(before)
  }, 120_000)
})
