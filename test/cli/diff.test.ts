/**
 * `dv diff` through the built CLI: the default sides (HEAD vs staged, one
 * REV, two REVs, across branches), `--`, --stat, --json, --rows with
 * --limit/--columns/--where/--key/--format, a TABLE filter, and bad input
 * (exit codes, nothing changed).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv, type DvRun } from './run-dv.js'

let work: string
let lake: string
const dv = (...args: string[]): DvRun => runDv(args, { cwd: lake })
const ok = (...args: string[]): DvRun => {
  const r = dv(...args)
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return r
}

function csv(name: string, lines: string[]): string {
  writeFileSync(path.join(lake, name), lines.join('\n') + '\n')
  return name
}

/** Refs, HEAD and staging: what a failed command must leave as it was. */
function state(dir = path.join(lake, '.dv')): string {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !(dir === path.join(lake, '.dv') && (e.name === 'objects' || e.name === 'tmp')))
    .map((e) => (e.isDirectory() ? state(path.join(dir, e.name)) : `${e.name}: ${readFileSync(path.join(dir, e.name), 'utf8')}`))
    .join('\n')
}

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-diff-'))
  lake = path.join(work, 'lake')
  expect(runDv(['init', 'lake'], { cwd: work }).code).toBe(0)
  csv('e1.csv', ['id,ts,v', '1,2026-01-01 10:00:00,a', '2,2026-01-01 11:00:00,b', '3,2026-01-02 10:00:00,c'])
  ok('write', 'events', 'e1.csv', '--partition-by', 'day(ts)', '--commit', '-m', 'one')
  ok('tag', 'v1')
  csv('u.csv', ['name,age', 'ann,31'])
  ok('write', 'users', 'u.csv', '--commit', '-m', 'users')
  csv('up.csv', ['id,ts,v', '2,2026-01-01 11:00:00,B', '4,2026-01-03 10:00:00,d'])
  ok('write', 'events', 'up.csv', '--mode', 'upsert', '--key', 'id', '--commit', '-m', 'upsert')
}, 180_000)
afterAll(() => rmSync(work, { recursive: true, force: true }))

// each test spawns dv 5-15 times; the shared 2-core machine can be slow
describe('dv diff', { timeout: 180_000 }, () => {
  it('with no REV compares HEAD with the staged changes', () => {
    expect(ok('diff').lines).toEqual([expect.stringMatching(/^diff [0-9a-f]{7}\.\.staged$/), 'no changes'])
    csv('more.csv', ['name,age', 'bob,42'])
    ok('write', 'users', 'more.csv')
    expect(ok('diff', '--stat').lines).toEqual(['users | +1 -0 rows, +1 -0 files'])
    expect(ok('diff', '--rows').lines).toEqual(['name,age,_change,_snapshot', 'bob,42,insert,'])
    ok('commit', '-m', 'bob')
    expect(ok('diff', '--stat').lines).toEqual([])
  })

  it('with one REV compares it with HEAD; with two, REV1 with REV2; names tables after them', () => {
    // the upsert rewrote day 1's file (keeping id 1) and added files for ids 2 and 4
    expect(ok('diff', 'v1', '--stat').lines).toEqual([
      'events | +3 -2 rows, +3 -1 files',
      'users  | +2 -0 rows, +2 -0 files (created)',
    ])
    expect(ok('diff', 'v1', 'HEAD', 'events', '--stat').lines).toEqual(['events | +3 -2 rows, +3 -1 files'])
    expect(ok('diff', 'HEAD', 'v1', '--stat').lines).toEqual([
      'events | +2 -3 rows, +1 -3 files',
      'users  | +0 -2 rows, +0 -2 files (dropped)',
    ])
    expect(ok('diff', 'v1', '--stat', '--', 'users').lines).toEqual(['users | +2 -0 rows, +2 -0 files (created)'])
    const text = ok('diff', 'v1', 'main', 'events').lines
    expect(text[0]).toMatch(/^diff [0-9a-f]{7}\.\.[0-9a-f]{7}$/)
    expect(text).toContain('table events: +3 -2 rows, +3 -1 files; rows 3 -> 4')
    expect(text).toContain('    ts_day=2026-01-03  +1 -0 rows  +1 -0 files')
  })

  it('--json prints the structured diff as one document', () => {
    const doc = JSON.parse(ok('diff', 'v1', 'main', '--json').stdout)
    expect(doc.from).toMatchObject({ rev: 'v1', staged: false })
    expect(doc.tables.map((t: { table: string; status: string }) => [t.table, t.status])).toEqual([['events', 'modified'], ['users', 'created']])
    expect(doc.tables[0].partitions.map((p: { values: object }) => p.values)).toEqual([{ ts_day: '2026-01-01' }, { ts_day: '2026-01-03' }])
  })

  it('--rows streams the changes; --key pairs updates; --columns, --where, --limit shape them', () => {
    const upsert = ok('log', '-n', '2', '--oneline').lines[1].slice(0, 7) // main: ..., upsert, bob
    const rows = ok('diff', 'v1', 'main', 'events', '--rows', '--key', 'id', '--columns', 'id,v').lines
    expect(rows[0]).toBe('id,v,_change,_snapshot')
    expect(rows.slice(1).map((l) => l.replace(/,[0-9a-f]{64}$/, ',SNAP'))).toEqual([
      '2,b,update_before,SNAP', '2,B,update_after,SNAP', '4,d,insert,SNAP',
    ])
    expect(rows[1].split(',')[3].startsWith(upsert)).toBe(true)
    expect(ok('diff', 'v1', 'main', 'events', '--rows', '--columns', 'id,v').lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      '2,b,delete', '2,B,insert', '4,d,insert',
    ])
    expect(ok('diff', 'v1', 'main', 'events', '--rows', '--key', 'id', '--where', 'id = 4', '--columns', 'id').lines).toEqual(['id,_change,_snapshot', expect.stringMatching(/^4,insert,/)])
    expect(ok('diff', 'v1', 'main', 'events', '--rows', '--limit', '1', '--columns', 'id').lines).toHaveLength(2)
    const feed = ok('diff', 'v1', 'main', '--rows', '--format', 'ndjson').lines.map((l) => JSON.parse(l))
    expect(new Set(feed.map((r) => r._table))).toEqual(new Set(['events', 'users']))
    // a table that does not exist on one side: every row inserted
    expect(feed.filter((r) => r._table === 'users').map((r) => r._change)).toEqual(['insert', 'insert'])
    const json = JSON.parse(ok('diff', 'v1', 'main', 'events', '--rows', '--json', '--key', 'id').stdout)
    expect(json.tables[0]).toMatchObject({ table: 'events', counts: { inserted: 1, deleted: 0, updated: 1, key: ['id'] } })
    expect(json.tables[0].rows).toHaveLength(3)
  })

  it('compares across branches', () => {
    ok('branch', 'side', 'v1')
    csv('s.csv', ['id,ts,v', '9,2026-01-09 10:00:00,z'])
    ok('write', 'events', 's.csv', '--branch', 'side', '--commit', '-m', 'on side')
    // only day 2's file is on both: main's other 3 files go, side's day 1 and day 9 files come
    expect(ok('diff', 'main', 'side', 'events', '--stat').lines).toEqual(['events | +3 -3 rows, +2 -3 files'])
    expect(ok('diff', 'v1', 'side', '--rows', '--columns', 'id').lines).toEqual(['id,_change,_snapshot', expect.stringMatching(/^9,insert,[0-9a-f]{64}$/)])
  })

  it('refuses bad input with the documented exit codes and changes nothing', () => {
    const before = state()
    const fails = (code: number, pattern: RegExp, ...args: string[]) => {
      const r = dv(...args)
      expect(r.code).toBe(code)
      expect(r.stderr).toMatch(pattern)
      expect(r.stdout).toBe('')
    }
    fails(3, /unknown revision 'nope~1'/, 'diff', 'nope~1')
    fails(3, /table 'nope' exists neither/, 'diff', 'nope')
    fails(3, /table 'nosuch' exists neither/, 'diff', 'v1', 'main', 'nosuch')
    fails(3, /unknown revision 'nope'/, 'diff', 'nope', 'main', '--')
    fails(2, /invalid predicate/, 'diff', 'v1', 'main', 'events', '--rows', '--where', 'id = ')
    fails(2, /unknown column 'nosuch'/, 'diff', 'v1', 'main', 'events', '--rows', '--where', 'nosuch = 1')
    fails(2, /--format applies to row-level changes/, 'diff', 'v1', '--format', 'csv')
    fails(2, /--where applies to row-level changes/, 'diff', 'v1', '--where', 'id = 1')
    fails(2, /--stat and --rows/, 'diff', 'v1', '--stat', '--rows')
    fails(2, /--format parquet writes one table/, 'diff', 'v1', 'main', '--rows', '--format', 'parquet')
    fails(2, /at most two revisions/, 'diff', 'v1', 'main', 'side', '--', 'events')
    expect(state()).toBe(before)
    ok('tag', 'events')
    fails(2, /names both a revision and a table/, 'diff', 'events')
    ok('tag', '-d', 'events')
  })
})
