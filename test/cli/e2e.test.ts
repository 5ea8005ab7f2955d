/**
 * The quickstart tour through the built `dv`, asserting exit codes, the plain
 * text contract and --json shapes. Tests run in order on one repository.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DV, buildIfStale, makeSampleData, modulesLoaded, runDv, runShell, writeLoadHook, type DvRun } from './run-dv.js'

const HEX7 = '[0-9a-f]{7}'
let work: string
let lake: string
const dv = (...args: string[]): DvRun => runDv(args, { cwd: lake })
const ok = (...args: string[]): DvRun => {
  const r = dv(...args)
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return r
}
const json = <T>(...args: string[]): T => JSON.parse(ok('--json', ...args).stdout) as T
const csvRows = (r: DvRun) => r.lines.slice(1)

interface LogJson { snapshot: string; message: string; timestamp: string; refs: string[]; parents: string[] }

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-e2e-'))
  lake = path.join(work, 'lake')
  makeSampleData(lake)
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dv tour', () => {
  it('prints its version and help', () => {
    expect(ok('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
    const help = ok('--help').stdout
    for (const verb of ['init', 'write', 'commit', 'status', 'log', 'show', 'branch', 'tag', 'checkout', 'cat']) expect(help).toContain(verb)
    expect(ok('write', '--help').stdout).toContain('exactly one FILE')
  })

  it('init creates a repository with a root commit on main', () => {
    const r = runDv(['init', 'lake'], { cwd: work })
    expect(r.code).toBe(0)
    expect(r.lines).toHaveLength(1)
    expect(r.lines[0]).toMatch(/^initialized empty dv repository in .*lake.* \(branch main\)$/)
    const again = runDv(['--json', 'init', 'lake'], { cwd: work })
    expect(again.code).toBe(4)
    expect(JSON.parse(again.stdout).error).toMatchObject({ code: 'CONFLICT', exitCode: 4 })
    expect(again.stderr).toMatch(/^error: .*already exists/m)
    const log = json<LogJson[]>('log')
    expect(log).toHaveLength(1)
    expect(log[0]!.parents).toEqual([])
  })

  it('write stages changes and status lists them', () => {
    expect(ok('write', 'events', 'events.csv', '--partition-by', 'day(ts)').lines)
      .toEqual([expect.stringMatching(/^staged append to events: 3000 rows in 3 files \(new table\)$/)])
    expect(ok('write', 'users', 'users.ndjson').lines).toEqual(['staged append to users: 40 rows in 1 file (new table)'])
    const status = ok('status').lines
    expect(status[0]).toBe('On branch main')
    expect(status[1]).toBe('Changes to be committed:')
    expect(status.slice(2)).toEqual([
      expect.stringMatching(/^ {2}[0-9a-f]{8} {2}append {4,}events +3000 rows +3 files +\(new table\)$/),
      expect.stringMatching(/^ {2}[0-9a-f]{8} {2}append {4,}users +40 rows +1 file +\(new table\)$/),
    ])
    const s = json<{ branch: string; detached: boolean; staged: Array<{ table: string; rows: number; creates: boolean }> }>('status')
    expect(s).toMatchObject({ branch: 'main', detached: false })
    expect(s.staged.map((c) => [c.table, c.rows, c.creates])).toEqual([['events', 3000, true], ['users', 40, true]])
  })

  it('commit turns the staged changes into one snapshot', () => {
    const r = ok('commit', '-m', 'initial load')
    expect(r.lines).toEqual([
      expect.stringMatching(new RegExp(`^\\[main ${HEX7}\\] initial load$`)),
      '  events: +3000 rows, +3 files (new table)',
      '  users: +40 rows, +1 file (new table)',
    ])
    expect(ok('status').lines).toEqual(['On branch main', 'nothing staged (use "dv write TABLE FILE" to stage a change)'])
  })

  it('write --commit commits one file at once (json shape)', () => {
    const r = json<{ table: string; rows: number; created: boolean; commit: { snapshot: string; branch: string; message: string; tables: Record<string, { addedRows: number }> } }>(
      'write', 'events', 'more.parquet', '--commit', '-m', 'more events')
    expect(r).toMatchObject({ table: 'events', rows: 500, created: false, commit: { branch: 'main', message: 'more events' } })
    expect(r.commit.snapshot).toMatch(/^[0-9a-f]{64}$/)
    expect(r.commit.tables.events!.addedRows).toBe(500)
  })

  it('log shows the history, one line each with --oneline', () => {
    const lines = ok('log', '--oneline').lines
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${HEX7} \\(main\\) more events$`)),
      expect.stringMatching(new RegExp(`^${HEX7} initial load$`)),
      expect.stringMatching(new RegExp(`^${HEX7} initialize repository$`)),
    ])
    const full = ok('log', '-n', '1').lines
    expect(full[0]).toMatch(/^snapshot [0-9a-f]{64} \(main\)$/)
    expect(full[1]).toBe('Author: Test <test@example.com>')
    expect(full[2]).toMatch(/^Date: {3}\d{4}-\d\d-\d\dT/)
    // the commit's lineage: the input it read (no Code line: the test runs outside a Git work tree)
    expect(full[3]).toMatch(/^Input: {2}events <- \/.*\/more\.parquet \(\d+ bytes, sha256 [0-9a-f]{64}\)$/)
    expect(full.slice(4)).toEqual(['', '    more events', '', '    events: +500 rows, +1 file'])
    expect(json<LogJson[]>('log', '--table', 'users').map((e) => e.message)).toEqual(['initial load'])
    expect(json<LogJson[]>('log', 'main~1').map((e) => e.message)).toEqual(['initial load', 'initialize repository'])
  })

  it('show prints a snapshot, and a table schema with stats', () => {
    const commit = ok('show', 'HEAD').stdout
    expect(commit).toMatch(/^snapshot [0-9a-f]{64} \(main\)\n/)
    expect(commit).toMatch(/\ntables at [0-9a-f]{7}:\n {2}events +3500 rows +4 files +\d+ bytes\n {2}users +40 rows +1 file +\d+ bytes\n$/)
    const table = ok('show', 'HEAD', 'events').lines
    expect(table[0]).toMatch(new RegExp(`^table events at ${HEX7} \\(table id .+\\)$`))
    expect(table[1]).toMatch(/^rows 3500 {2}files 4 {2}bytes \d+ {2}manifests \d+$/)
    expect(table).toContain('partition spec: day(ts)')
    const header = table.findIndex((l) => /^ {2}id +name +type +required +min +max +nulls$/.test(l))
    expect(header).toBeGreaterThan(0)
    expect(table[header + 1]).toMatch(/^ {2}1 +id +long +(yes|no) +0 +3499 +0$/)
    expect(table.slice(header + 1, header + 6).map((l) => l.trim().split(/ +/)[1])).toEqual(['id', 'ts', 'user_id', 'kind', 'amount'])
    const shown = json<{ commit: LogJson; tables: Record<string, { rows: number }>; table: { columns: unknown[]; rows: number } }>('show', 'HEAD', 'events')
    expect(shown.tables.events!.rows).toBe(3500)
    expect(shown.table.rows).toBe(3500)
    expect(shown.table.columns).toHaveLength(5)
  })

  it('branch creates and lists branches; checkout switches', () => {
    const head = json<LogJson[]>('log', '-n', '1')[0]!.snapshot
    expect(ok('branch', 'backfill').lines).toEqual([`created branch backfill at ${head.slice(0, 7)}`])
    expect(ok('branch').lines).toEqual([`  backfill  ${head.slice(0, 7)}`, `* main      ${head.slice(0, 7)}`])
    expect(ok('branch', '--list').lines).toEqual(ok('branch').lines)
    expect(ok('checkout', 'backfill').lines).toEqual(["switched to branch 'backfill'"])
    expect(ok('status').lines[0]).toBe('On branch backfill')
  })

  it('overwrite on the branch reports added and removed rows', () => {
    const r = ok('write', 'events', 'fix.csv', '--mode', 'overwrite', '--commit', '-m', 'rewrite on branch')
    expect(r.lines).toEqual([
      expect.stringMatching(new RegExp(`^\\[backfill ${HEX7}\\] rewrite on branch$`)),
      expect.stringMatching(/^ {2}events: \+1000 rows, \+\d+ files?, -3500 rows, -4 files$/),
    ])
    expect(ok('checkout', 'main').lines).toEqual(["switched to branch 'main'"])
  })

  it('cat travels in time by prefix, REV~N, REV@{time}, branch and tag', () => {
    const log = json<LogJson[]>('log')
    const loaded = log[log.length - 2]!
    const byPrefix = ok('cat', 'events', '--at', loaded.snapshot.slice(0, 7), '--format', 'csv')
    expect(byPrefix.lines[0]).toBe('id,ts,user_id,kind,amount')
    expect(csvRows(byPrefix)).toHaveLength(3000)
    expect(csvRows(ok('cat', 'events', '--at', 'main~1'))).toHaveLength(3000)
    expect(csvRows(ok('cat', 'events', '--at', `main@{${loaded.timestamp}}`))).toHaveLength(3000)
    expect(csvRows(ok('cat', 'events', '--at', 'backfill'))).toHaveLength(1000)
    expect(csvRows(ok('cat', 'events'))).toHaveLength(3500)
  })

  it('tag pins a snapshot; cat projects, filters and limits', () => {
    const head = json<LogJson[]>('log', '-n', '1')[0]!.snapshot
    expect(ok('tag', 'v1').lines).toEqual([`created tag v1 at ${head.slice(0, 7)}`])
    expect(ok('tag').lines).toEqual([`v1  ${head.slice(0, 7)}`])
    expect(ok('log', '--oneline', '-n', '1').lines[0]).toMatch(new RegExp(`^${HEX7} \\(main, tag: v1\\) more events$`))
    const r = ok('cat', 'events', '--at', 'v1', '--columns', 'id,ts', '--where', "ts >= '2026-01-02'", '--limit', '10')
    expect(r.lines[0]).toBe('id,ts')
    expect(csvRows(r)).toHaveLength(10)
    for (const row of csvRows(r)) expect(row.split(',')[1]! >= '2026-01-02').toBe(true)
    const rows = json<Array<Record<string, unknown>>>('cat', 'events', '--columns', 'kind,id', '--limit', '3')
    expect(rows).toHaveLength(3)
    expect(Object.keys(rows[0]!)).toEqual(['kind', 'id'])
    const nd = ok('cat', 'users', '--format', 'ndjson', '--limit', '2').lines
    expect(nd).toHaveLength(2)
    expect(Object.keys(JSON.parse(nd[0]!))).toEqual(['user_id', 'name', 'country'])
    const count = runShell(`dv log --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).length)'`, lake)
    expect(count).toMatchObject({ code: 0, stdout: '3\n' })
  })

  it('cat into a closed pipe exits 0', () => {
    const r = runShell('dv cat events | head -n 2', lake)
    expect(r.code).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe('id,ts,user_id,kind,amount')
    expect(r.stderr).toBe('')
    expect(readdirSync(path.join(lake, '.dv', 'tmp')).filter((f) => f.startsWith('dv-'))).toEqual([]) // cleaned up
  })

  it('an error written into a closed stderr keeps its exit code (not 1)', async () => {
    const child = spawn(process.execPath, [DV, 'cat', 'no_such_table'], { cwd: lake, stdio: ['ignore', 'ignore', 'pipe'] })
    child.stderr!.destroy() // the read end is gone before dv writes its message
    const [code] = await once(child, 'exit')
    expect(code).toBe(3)
  })

  it('checkout -b NAME REV, detached checkout, and deletes', () => {
    const log = json<LogJson[]>('log')
    const parent = log[1]!.snapshot
    expect(ok('checkout', '-b', 'side', 'v1~1').lines).toEqual(["switched to a new branch 'side'"])
    expect(json<{ head: string }>('status').head).toBe(parent)
    expect(ok('checkout', parent.slice(0, 8)).lines).toEqual([`HEAD is now at ${parent.slice(0, 7)} (detached)`])
    expect(ok('status').lines[0]).toBe(`HEAD detached at ${parent.slice(0, 7)}`)
    const detachedWrite = dv('write', 'users', 'users.ndjson')
    expect(detachedWrite.code).toBe(2)
    expect(detachedWrite.stderr).toMatch(/^error: .*detached/m)
    ok('checkout', 'main')
    expect(ok('branch', '-d', 'side').lines).toEqual([`deleted branch side (was ${parent.slice(0, 7)})`])
    expect(json<Array<{ name: string }>>('branch').map((b) => b.name)).toEqual(['backfill', 'main'])
  })

  it('-C and DV_DIR pick the repository; FILE paths follow -C', () => {
    expect(runDv(['-C', 'lake', 'log', '--oneline', '-n', '1'], { cwd: work }).lines[0]).toMatch(/more events$/)
    expect(runDv(['log', '--oneline', '-n', '1'], { cwd: work, env: { DV_DIR: lake } }).lines[0]).toMatch(/more events$/)
    const r = runDv(['-C', 'lake', 'write', 'users', 'users.ndjson'], { cwd: work })
    expect(r).toMatchObject({ code: 0, stdout: 'staged append to users: 40 rows in 1 file\n' })
  })

  it('write reads stdin with --format; several files stage several changes', () => {
    const input = '{"user_id":99,"name":"late","country":"NZ"}\n'
    expect(runDv(['write', 'users', '-', '--format', 'ndjson'], { cwd: lake, input }).stdout).toBe('staged append to users: 1 row in 1 file\n')
    const both = json<Array<{ rows: number }>>('write', 'users', 'users.ndjson', 'users.ndjson')
    expect(both.map((w) => w.rows)).toEqual([40, 40])
    const commit = ok('commit', '-m', 'more users').lines
    expect(commit[1]).toBe('  users: +121 rows, +4 files')
    expect(csvRows(ok('cat', 'users'))).toHaveLength(161)
  })

  it('metadata-only commands load no data engine and no ink on start-up', () => {
    const hook = writeLoadHook(work)
    const loads = (...args: string[]) => modulesLoaded(hook, args, { cwd: lake }).loaded
    for (const args of [['log', '-n', '1'], ['status'], ['show', 'HEAD', 'events'], ['branch'], ['--json', 'tag'], ['--help'], ['diff', 'HEAD~1', '--stat'], ['diff']]) {
      expect(loads(...args), args.join(' ')).toEqual([])
    }
    expect(loads('cat', 'users', '--limit', '1').some((l) => l.includes('duckdb'))).toBe(true) // the hook does see the engine
  })
})
