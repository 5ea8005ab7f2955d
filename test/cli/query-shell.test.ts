/**
 * `dv query` with no SQL (issue 12): on a terminal, an interactive shell over
 * one snapshot, driven here through a real pseudo-terminal (test/support/pty.ts)
 * key by key; with stdin not a terminal, the query read from stdin. Checks
 * what a user sees and gets: results on stdout only, statements over several
 * lines, dot-commands, errors that leave the shell running and exit 0, history
 * kept across sessions and recalled with the up arrow, Ctrl-C during a
 * statement and at the prompt, Ctrl-D, and the snapshot pinned at start
 * (--at, or HEAD while another process commits).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KEYS, ptyPython, runDvInTerminal, type PtyRun, type PtyStep } from '../support/pty.js'
import { DV, queryRepo, runDv } from './run-dv.js'

const python = ptyPython('test/cli/query-shell.test.ts')
let work: string
let v1: string
const dv = (...args: string[]) => runDv(args, { cwd: work })

beforeAll(() => {
  ;({ work, v1 } = queryRepo('dv-cli-query-shell-'))
  // 3,000 rows: a three-way cross join of them runs for minutes, a query to interrupt
  writeFileSync(path.join(work, 'nums.csv'), 'n\n' + Array.from({ length: 3000 }, (_, i) => i).join('\n') + '\n')
  expect(dv('write', 'nums', 'nums.csv', '--commit', '-m', 'nums').code).toBe(0)
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** A state directory of its own per test: the default history file lives under it. */
function env(state: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DV_AUTHOR: 'Test <test@example.com>', XDG_STATE_HOME: state, TERM: 'xterm', ...extra }
  for (const name of ['DV_DIR', 'DV_DEBUG', 'DV_QUERY_HISTORY', 'NO_COLOR']) if (!(name in extra)) delete e[name]
  return e
}

let states = 0
function stateDir(): string {
  return mkdtempSync(path.join(work, `state-${states++}-`))
}

async function shell(steps: PtyStep[], options: { args?: string[]; state?: string; env?: Record<string, string> } = {}): Promise<PtyRun> {
  const r = await runDvInTerminal(python!, ['query', ...(options.args ?? [])], { cwd: work, env: env(options.state ?? stateDir(), options.env), steps })
  if (r.failed) throw new Error(`step ${JSON.stringify(r.failed)} never came; the terminal showed:\n${r.terminal}`)
  return r
}

const PROMPT = 'dv> '
const typed = (text: string): PtyStep[] => [{ expect: PROMPT, send: text + KEYS.enter }]

describe.skipIf(!python)('the shell on a terminal', () => {
  it('runs statements over several lines and dot-commands, keeps going after a failing statement, and exits 0 on Ctrl-D', async () => {
    const r = await shell([
      { expect: PROMPT, send: 'SELECT kind, count(*) AS n\r' },
      { expect: '\\.\\.\\. ', send: 'FROM events\r' },
      { expect: '\\.\\.\\. ', send: 'GROUP BY kind ORDER BY kind;\r' },
      ...typed('.tables'),
      ...typed('SELECT * FROM nope;'),
      ...typed("SELECT 'a;b' AS s; SELECT 2 AS two;"),
      ...typed('.format ndjson'),
      ...typed('SELECT max(id) AS m FROM events;'),
      ...typed('.format parquet'),
      ...typed('.nope'),
      { expect: PROMPT, send: KEYS.ctrlD },
    ])
    expect(r.code).toBe(0)
    // stdout holds the results and nothing else
    expect(r.stdout).toBe('kind,n\na,2\nb,1\nc,1\ns\na;b\ntwo\n2\n{"m":4}\n')
    expect(r.terminal).toMatch(/^dv query shell at HEAD [0-9a-f]{7} \(main\), tables: events, nums\r?\n/)
    expect(r.terminal).toMatch(/events \(4 rows\): id long, kind string/)
    expect(r.terminal).toMatch(/nums \(3000 rows\): n long/)
    // the error as dv prints it, then the shell went on
    expect(r.terminal).toMatch(/error: table 'nope' does not exist at snapshot [0-9a-f]{7}\r?\nhint: tables there: events, nums/)
    expect(r.terminal).toMatch(/error: invalid format 'parquet' for \.format\r?\nhint: the shell prints csv, ndjson, json/)
    expect(r.terminal).toMatch(/error: unknown command \.nope/)
  })

  it('keeps history across sessions: the up arrow recalls a statement of the last session, lines joined', async () => {
    const state = stateDir()
    const first = await shell([
      { expect: PROMPT, send: 'SELECT count(*) AS n\r' },
      { expect: '\\.\\.\\. ', send: 'FROM events;\r' },
      { expect: PROMPT, send: KEYS.ctrlD },
    ], { state })
    expect(first.stdout).toBe('n\n4\n')
    const file = path.join(state, 'dv', 'query_history')
    expect(readFileSync(file, 'utf8')).toBe('SELECT count(*) AS n FROM events;\n')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const second = await shell([
      { expect: PROMPT, send: KEYS.up },
      { expect: 'FROM events;', send: KEYS.enter },
      { expect: PROMPT, send: KEYS.ctrlD },
    ], { state })
    expect(second.code).toBe(0)
    expect(second.stdout).toBe('n\n4\n')
  })

  it('a history file it cannot write is a warning, not a failure', async () => {
    writeFileSync(path.join(work, 'not-a-dir'), '')
    const r = await shell([...typed('SELECT 1 AS one;'), { expect: PROMPT, send: KEYS.ctrlD }], { env: { DV_QUERY_HISTORY: path.join(work, 'not-a-dir', 'history') } })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('one\n1\n')
    expect(r.terminal).toMatch(/warning: the query history cannot be (read from|saved to) .*not-a-dir\/history/)
  })

  it('Ctrl-C stops a running statement and returns to the prompt; at the prompt it drops the line; twice at an empty prompt it leaves', async () => {
    const started = Date.now()
    const r = await shell([
      ...typed('SELECT count(*) AS c FROM nums a, nums b, nums c WHERE a.n + b.n + c.n = 7;'),
      { delay: 1, send: KEYS.ctrlC },
      { expect: 'interrupted: the query was stopped' },
      ...typed('SELECT count(*) AS n FROM nums;'),
      { expect: PROMPT, send: 'SELECT 42 AS dropped' },
      { delay: 0.2, send: KEYS.ctrlC },
      ...typed('SELECT 7 AS kept;'),
      { expect: PROMPT, send: KEYS.ctrlC },
      { expect: 'press Ctrl-C again or Ctrl-D to leave', send: KEYS.ctrlC },
    ])
    // the cross join alone would run for minutes
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('n\n3000\nkept\n7\n')
  })

  it('--at pins the snapshot; without it HEAD is pinned when the shell starts, whatever lands meanwhile', async () => {
    const at = await shell([...typed('SELECT count(*) AS n FROM events;'), { expect: PROMPT, send: '.quit\r' }], { args: ['--at', 'v1'] })
    expect(at.code).toBe(0)
    expect(at.terminal).toMatch(new RegExp(`^dv query shell at v1 ${v1} \\(tag: v1\\), tables: events\\r?\\n`))
    expect(at.stdout).toBe('n\n3\n')

    writeFileSync(path.join(work, 'g.csv'), 'id,kind\n5,d\n')
    const head = await shell([
      { expect: PROMPT, run: [process.execPath, DV, 'write', 'events', 'g.csv', '--commit', '-m', 'meanwhile'], send: 'SELECT count(*) AS n FROM events;\r' },
      ...typed('SELECT count(*) AS n FROM "events@main";'),
      { expect: PROMPT, send: KEYS.ctrlD },
    ])
    expect(head.stdout).toBe('n\n4\nn\n5\n')
  })

  it('refuses Parquet and Arrow, which are files, and an --at that does not resolve, before the banner', async () => {
    const parquet = await shell([], { args: ['--format', 'parquet'] })
    expect(parquet.code).toBe(2)
    expect(parquet.terminal).toMatch(/error: the query shell prints csv, ndjson, json, not parquet/)
    const missing = await shell([], { args: ['--at', 'nope'] })
    expect(missing.code).toBe(3)
    expect(missing.terminal).not.toMatch(/dv query shell/)
  })
})

describe('with stdin not a terminal', () => {
  it('reads the query from stdin; blank stdin is a usage error (exit 2)', () => {
    expect(runDv(['query', '--at', 'v1'], { cwd: work, input: 'SELECT count(*) AS n\nFROM events;\n' })).toMatchObject({ code: 0, stdout: 'n\n3\n' })
    expect(JSON.parse(runDv(['--json', 'query'], { cwd: work, input: 'SELECT max(id) AS m FROM "events@v1"' }).stdout)).toEqual([{ m: 3 }])
    const blank = runDv(['query'], { cwd: work, input: ' \n\t\n' })
    expect(blank.code).toBe(2)
    expect(blank.stderr).toMatch(/no query given/)
  })
})
