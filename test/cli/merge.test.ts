/**
 * `dv merge`, `dv revert` and `dv cherry-pick` through the built CLI: the
 * text and --json results, the conflict report (exit 4, also with
 * --dry-run), and bad input refused with its documented exit code, leaving
 * refs, reflog, staging and HEAD byte-identical.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv, type DvRun } from './run-dv.js'

let work: string
let lake: string
const dv = (...args: string[]): DvRun => runDv(args, { cwd: lake })
const ok = (...args: string[]): DvRun => {
  const r = dv(...args)
  expect(r.stderr, args.join(' ')).toBe('')
  expect(r.code, args.join(' ')).toBe(0)
  return r
}

function state(): string {
  const dvDir = path.join(lake, '.dv')
  const walk = (dir: string): string[] => (!existsSync(dir) ? [] : readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? walk(p) : [`${path.relative(dvDir, p)}: ${readFileSync(p, 'utf8')}`]
  }))
  return [...walk(path.join(dvDir, 'refs')), ...walk(path.join(dvDir, 'reflog')), ...walk(path.join(dvDir, 'staging')), readFileSync(path.join(dvDir, 'HEAD'), 'utf8')].join('\n')
}

function refused(r: DvRun, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code)
  expect(r.stderr).toMatch(/^error: /)
  expect(r.stderr).toMatch(message)
  expect(r.stdout).toBe('')
}

let n = 0
function input(...rows: string[]): string {
  const name = `in-${++n}.csv`
  writeFileSync(path.join(lake, name), `id,ts,v\n${rows.map((r) => `${r}\n`).join('')}`)
  return name
}
const day = (d: number, id: number) => `${id},2026-01-0${d} 10:00:00,v${id}`

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-merge-'))
  lake = path.join(work, 'lake')
  expect(runDv(['init', 'lake'], { cwd: work }).code).toBe(0)
  ok('write', 'events', input(day(1, 1), day(2, 2), day(3, 3)), '--partition-by', 'day(ts)', '--commit', '-m', 'base')
  ok('branch', 'backfill')
  ok('write', 'events', input(day(1, 10)), '--mode', 'replace-partitions', '--branch', 'backfill', '--commit', '-m', 'backfill day 1')
  ok('write', 'events', input(day(3, 30)), '--commit', '-m', 'append day 3')
}, 120_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dv merge', () => {
  it('--dry-run prints the merge and writes nothing; the merge lands as a two-parent commit logged as merge: SOURCE', () => {
    const before = state()
    expect(ok('merge', 'backfill', '--dry-run').lines).toEqual([
      expect.stringMatching(/^merge of backfill into main would succeed \(base [0-9a-f]{7}\):$/),
      '  events: +1 row, +1 file, -1 row, -1 file',
    ])
    expect(state()).toBe(before)
    const r = JSON.parse(ok('--json', 'merge', 'backfill').stdout)
    expect(r).toMatchObject({ status: 'merged', branch: 'main', source: 'backfill', dryRun: false, conflicts: [] })
    expect(JSON.parse(ok('--json', 'show', 'main').stdout).commit.parents).toEqual([r.previous, r.sourceSnapshot])
    expect(ok('reflog', '-n', '1').lines[0]).toMatch(/main@\{0\}: merge: backfill$/)
    expect(ok('cat', 'events', '--columns', 'id').lines.slice(1).sort()).toEqual(['10', '2', '3', '30'])
    expect(ok('merge', 'backfill').lines[0]).toMatch(/^already up to date: main contains backfill/)
  })

  it('a conflict prints the report per table and exits 4, also with --dry-run and --json; nothing changes', () => {
    ok('write', 'events', input(day(2, 20)), '--mode', 'replace-partitions', '--branch', 'backfill', '--commit', '-m', 'backfill day 2')
    ok('write', 'events', input(day(2, 21)), '--commit', '-m', 'append day 2')
    const before = state()
    for (const extra of [[], ['--dry-run']]) {
      const r = dv('merge', 'backfill', ...extra)
      expect(r.code).toBe(4)
      expect(r.lines).toEqual([
        expect.stringMatching(/^merge of backfill (into main )?conflicts \(nothing was changed\):$/),
        'CONFLICT (partitions-changed) in table events: both sides changed the same partitions, and at least one removed or rewrote files there',
        '  partition ts_day=2026-01-02',
      ])
      // how to get out of it, naming both sides and the table
      if (extra.length === 0) expect(r.stderr).toMatch(/^hint: nothing was changed .*--strategy ours to keep branch 'main'.*--strategy theirs to take 'backfill'.*change events on one side/m)
    }
    const j = dv('--json', 'merge', 'backfill')
    expect(j.code).toBe(4)
    const doc = JSON.parse(j.stdout)
    expect(doc.status).toBe('conflict')
    expect(doc.conflicts).toEqual([{ table: 'events', rule: 'partitions-changed', message: expect.any(String), partitions: [{ ts_day: '2026-01-02' }] }])
    expect(doc.error).toMatchObject({ code: 'CONFLICT', exitCode: 4 })
    expect(state()).toBe(before)
  })

  it('refuses bad input with exit 2 or 3 and changes nothing', () => {
    const before = state()
    refused(dv('merge', 'main'), 2, /cannot merge branch 'main' into itself/)
    refused(dv('merge', 'nope'), 3, /unknown revision 'nope'/)
    refused(dv('merge', 'backfill', '--strategy', 'mine'), 2, /--strategy/)
    refused(dv('revert', 'main', '-m', '2'), 2, /is not a merge commit/)
    expect(state()).toBe(before)
    dv('write', 'events', input(day(3, 31)))
    const staged = state()
    refused(dv('merge', 'backfill'), 2, /has 1 staged change\(s\)/)
    expect(state()).toBe(staged)
    ok('restore', '--staged')
  })
})

describe('dv revert and dv cherry-pick', () => {
  it('revert of a merge needs -m; -m 1 undoes it; cherry-pick applies a commit once', () => {
    const merge = ok('--json', 'show', 'main~1').stdout // the merge commit of the first test, under 'append day 2'
    const id = JSON.parse(merge).commit.snapshot as string
    const before = state()
    refused(dv('revert', id), 2, /is a merge commit with 2 parents/)
    expect(state()).toBe(before)
    expect(ok('revert', id, '-m', '1').lines[0]).toMatch(/^\[main [0-9a-f]{7}\] revert "merge backfill into main"$/)
    expect(ok('cat', 'events', '--columns', 'id').lines.slice(1).sort()).toEqual(['1', '2', '21', '3', '30'])
    const pick = JSON.parse(ok('--json', 'show', 'backfill').stdout).commit.snapshot as string
    expect(ok('cherry-pick', pick, '--strategy', 'theirs').lines[0]).toMatch(/^\[main [0-9a-f]{7}\] backfill day 2$/)
    const after = state()
    refused(dv('cherry-pick', 'backfill'), 2, /changes nothing on branch 'main': its changes are already there/)
    expect(state()).toBe(after)
  })

  it('cherry-pick onto a branch where the table was dropped: exit 4 naming the table and the rule; nothing changes', () => {
    ok('write', 'clicks', input(day(1, 90)), '--commit', '-m', 'create clicks')
    ok('branch', 'pick')
    ok('write', 'clicks', input(day(1, 91)), '--branch', 'pick', '--commit', '-m', 'append clicks')
    expect(ok('revert', 'main').lines[1]).toMatch(/^ {2}clicks: -1 rows?, -1 file \(drop\)$/)
    const before = state()
    const r = dv('cherry-pick', 'pick')
    expect(r.code, r.stderr).toBe(4)
    expect(r.lines.slice(1)).toEqual(['CONFLICT (table-dropped) in table clicks: ours dropped the table, which theirs changed'])
    expect(r.stderr).toMatch(/^hint: .*keep branch 'main'.*change clicks on one side/m)
    const j = dv('--json', 'cherry-pick', 'pick', '--dry-run')
    expect(j.code).toBe(4)
    expect(JSON.parse(j.stdout).conflicts).toEqual([{ table: 'clicks', rule: 'table-dropped', message: expect.any(String) }])
    expect(state()).toBe(before)
  })

  it('revert --dry-run --json of a by-key revert prints the real run\'s result and writes no object, ref or reflog entry', () => {
    ok('write', 'accounts', input(day(1, 1), day(1, 2)), '--partition-by', 'day(ts)', '--commit', '-m', 'accounts')
    ok('table', 'set-key', 'accounts', 'id')
    ok('write', 'accounts', input('1,2026-01-01 10:00:00,changed'), '--mode', 'upsert', '--commit', '-m', 'key 1')
    const rev = JSON.parse(ok('--json', 'show', 'main').stdout).commit.snapshot as string
    // a later change to another key of the same partition: the revert applies by key and writes a data file
    ok('write', 'accounts', input('2,2026-01-01 10:00:00,later'), '--mode', 'upsert', '--commit', '-m', 'key 2')
    const objects = () => readdirSync(path.join(lake, '.dv', 'objects'), { recursive: true }).map(String).sort()
    const before = [state(), objects()]
    const dry = JSON.parse(ok('--json', 'revert', rev, '--dry-run').stdout)
    expect(dry).toMatchObject({ status: 'applied', dryRun: true, snapshot: '' })
    expect([state(), objects()]).toEqual(before)
    const real = JSON.parse(ok('--json', 'revert', rev).stdout)
    expect(real.tables.accounts.addedFiles).toBe(1)
    expect({ ...dry, snapshot: real.snapshot, dryRun: false }).toEqual(real)
    expect(ok('cat', 'accounts', '--columns', 'id,v').lines.slice(1).sort()).toEqual(['1,v1', '2,later'])
  })
})
