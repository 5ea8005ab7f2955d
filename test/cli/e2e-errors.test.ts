/**
 * Bad input through the built `dv`: the documented exit code, `error:` and
 * `hint:` on stderr, a JSON error document under --json, and nothing changed.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, buildIfStale, makeSampleData, runDv, runDvAsync, type DvRun } from './run-dv.js'

let work: string
let lake: string
const dv = (...args: string[]): DvRun => runDv(args, { cwd: lake })
const dvAsync = (...args: string[]): Promise<DvRun> => runDvAsync(args, { cwd: lake })

/**
 * Everything a failed command must leave untouched: every file of the store
 * but its objects and temporary files (refs, HEAD, the staging area, config).
 */
function state(dir = path.join(lake, '.dv')): string {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !(dir === path.join(lake, '.dv') && (e.name === 'objects' || e.name === 'tmp')))
    .map((e) => (e.isDirectory() ? state(path.join(dir, e.name)) : `${path.join(dir, e.name)}: ${readFileSync(path.join(dir, e.name), 'utf8')}`))
    .filter((entry) => entry !== '') // an empty directory (e.g. staging/) holds no state
    .join('\n')
}

function expectFailure(r: DvRun, code: number, message: RegExp): void {
  expect(r.code).toBe(code)
  expect(r.stderr).toMatch(/^error: /)
  expect(r.stderr).toMatch(message)
  expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace without DV_DEBUG
  expect(r.stdout).toBe('')
}

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-errors-'))
  lake = path.join(work, 'lake')
  makeSampleData(lake)
  writeFileSync(path.join(lake, 'ragged.csv'), 'id,name\n1,a\n2,b\n3\n4,d\n')
  writeFileSync(path.join(lake, 'badtype.csv'), 'id,ts,user_id,kind,amount\nabc,2026-01-05 00:00:00,1,view,1.5\n')
  expect(runDv(['init', 'lake'], { cwd: work }).code).toBe(0)
  expect(dv('write', 'events', 'events.csv', '--partition-by', 'day(ts)', '--commit', '-m', 'load').code).toBe(0)
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dv errors', () => {
  // The failures of a test change nothing (each test checks it), so its invocations run at once.
  it('usage errors exit 2: unknown option, unknown command, missing argument, bad counts', async () => {
    const before = state()
    const [bogus, unknown, show, commit, sideways, negative, ten, fraction, columns, twoFiles, noCommit, noMessage, deleteNoMessage, checkout, asJson] = await Promise.all([
      ['log', '--bogus'], ['frobnicate'], ['show'], ['commit'], ['write', 'events', 'x.csv', '--mode', 'sideways'],
      ['cat', 'events', '--limit', '-1'], ['cat', 'events', '--limit', 'ten'], ['log', '-n', '1.5'], ['cat', 'events', '--columns', 'id,,ts'],
      ['write', 'events', 'events.csv', 'fix.csv', '--commit', '-m', 'two'], ['write', 'events', 'events.csv', '-m', 'no commit'],
      ['write', 'events', 'events.csv', '--commit'], ['write', 'events', '--mode', 'delete', '--where', 'id = 1', '--commit'], ['checkout'],
      ['--json', 'log', '--bogus'],
    ].map((args) => dvAsync(...args)))
    expect(bogus).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: unknown option '--bogus'/) })
    expect(unknown!.code).toBe(2)
    expect(show!.code).toBe(2)
    expect(commit!.code).toBe(2) // -m is required
    expect(sideways!.code).toBe(2)
    expectFailure(negative!, 2, /--limit/)
    expectFailure(ten!, 2, /invalid value 'ten' for --limit/)
    expectFailure(fraction!, 2, /-n/)
    expectFailure(columns!, 2, /--columns/)
    expectFailure(twoFiles!, 2, /exactly one FILE, got 2/)
    expectFailure(noCommit!, 2, /only used with --commit/)
    expectFailure(noMessage!, 2, /a commit needs a message/)
    expectFailure(deleteNoMessage!, 2, /a commit needs a message/)
    expectFailure(checkout!, 2, /needs a REV/)
    expect(asJson!.code).toBe(2)
    expect(JSON.parse(asJson!.stdout)).toEqual({ error: expect.objectContaining({ code: 'INVALID_ARGUMENT', exitCode: 2 }) })
    expect(state()).toBe(before)
  })

  it('an unknown REV or a time before the first commit exits 3', async () => {
    const before = state()
    const [show, log, cat, checkout, asJson] = await Promise.all([
      ['show', 'nosuchrev'], ['log', 'main~9'], ['cat', 'events', '--at', '2000-01-01T00:00:00Z'], ['checkout', 'nosuchrev'], ['--json', 'show', 'deadbeef'],
    ].map((args) => dvAsync(...args)))
    expectFailure(show!, 3, /nosuchrev/)
    expectFailure(log!, 3, /main~9/)
    expectFailure(cat!, 3, /2000-01-01/)
    expectFailure(checkout!, 3, /nosuchrev/)
    expect(asJson!.code).toBe(3)
    expect(JSON.parse(asJson!.stdout).error).toMatchObject({ code: 'NOT_FOUND', exitCode: 3, message: expect.stringContaining('deadbeef') })
    expect(state()).toBe(before)
  })

  it('invalid branch and tag names exit 2', async () => {
    const before = state()
    const names = ['../x', 'a b', 'HEAD', '-x', 'x.lock']
    const [empty, tag, checkout, ...branches] = await Promise.all([
      ['branch', ''], ['tag', 'a b'], ['checkout', '-b', 'a b'], ...names.map((name) => ['branch', '--', name]),
    ].map((args) => dvAsync(...args)))
    for (const [i, r] of branches.entries()) {
      expect(r.code, names[i]).toBe(2)
      expect(r.stderr).toMatch(/^error: invalid branch name/)
      expect(r.stderr).toMatch(/^hint: /m)
    }
    expectFailure(empty!, 2, /invalid branch name ''/)
    expectFailure(tag!, 2, /invalid tag name 'a b'/)
    expectFailure(checkout!, 2, /invalid branch name 'a b'/)
    expect(state()).toBe(before)
    expect(dv('branch', 'dup').code).toBe(0)
    const created = state()
    expectFailure(dv('branch', 'dup'), 4, /branch 'dup' already exists/)
    expectFailure(dv('branch', '-d', 'main'), 2, /checked out/)
    expectFailure(dv('tag', '-d', 'nope'), 3, /tag 'nope' does not exist/)
    expect(state()).toBe(created)
    expect(dv('branch', '-d', 'dup').code).toBe(0)
    // the two commands that succeeded are in dup's reflog, and nothing else changed
    const dupLog = path.join(lake, '.dv', 'reflog', 'branches%2Fdup')
    expect(state().split('\n').filter((line) => !line.startsWith(dupLog)).join('\n')).toBe(before)
    expect(readdirSync(dupLog).map((f) => JSON.parse(readFileSync(path.join(dupLog, f), 'utf8')).message).sort()).toEqual(['branch -d', 'branch: created from HEAD'])
  })

  it('a command outside a repository exits 3 with a hint to run dv init', () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'dv-cli-outside-'))
    try {
      const r = runDv(['status'], { cwd: outside })
      expectFailure(r, 3, /not a dv repository/)
      expect(r.stderr).toMatch(/^hint: .*dv init/m)
      expect(readdirSync(outside)).toEqual([])
    } finally {
      rmSync(outside, { recursive: true, force: true })
    }
  })

  it('commit with nothing staged exits 2; --allow-empty commits', () => {
    const before = state()
    expectFailure(dv('commit', '-m', 'nothing'), 2, /nothing to commit/)
    expect(state()).toBe(before)
    const r = dv('commit', '-m', 'empty', '--allow-empty')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^\[main [0-9a-f]{7}\] empty\n$/)
  })

  it('a ragged CSV row exits 2 naming the line; nothing is staged', () => {
    const before = state()
    expectFailure(dv('write', 'names', 'ragged.csv'), 2, /line 4|row 3/)
    expectFailure(dv('write', 'names', 'ragged.csv', '--commit', '-m', 'x'), 2, /line 4|row 3/)
    expect(state()).toBe(before)
  })

  it('a type conflict on append exits 2 naming the column', () => {
    const before = state()
    expectFailure(dv('write', 'events', 'badtype.csv', '--commit', '-m', 'bad'), 2, /\bid\b/)
    expect(state()).toBe(before)
  })

  it('an ambiguous snapshot prefix exits 2', async () => {
    // Empty commits in a memory store (no fsync: ~300 of them until two ids share 4 hex digits take
    // well under a second, against ~20 s on disk); the two colliding snapshot objects are then
    // stored, byte for byte, in a repository on disk, where `dv show PREFIX` must find both.
    const repoDir = path.join(work, 'many')
    const lib = (p: string) => pathToFileURL(path.join(ROOT, 'dist/src', p)).href
    const { Repository } = await import(lib('index.js')) as typeof import('../../src/index.js')
    const { createMemoryStorage, openLocalStorage } = await import(lib('store/index.js')) as typeof import('../../src/store/index.js')
    const memory = createMemoryStorage()
    const scratch = await Repository.fromStorage(memory, { init: true })
    const seen = new Map<string, string>()
    let pair: [string, string] | undefined
    try {
      for (let i = 0; i < 3000 && !pair; i++) {
        const c = await scratch.commit({ message: `c${i}`, allowEmpty: true })
        const p = c.snapshot.slice(0, 4)
        if (seen.has(p)) pair = [seen.get(p)!, c.snapshot]
        seen.set(p, c.snapshot)
      }
    } finally {
      await scratch.close()
    }
    if (!pair) return // astronomically unlikely: 3000 ids without a 4-digit collision
    await (await Repository.init(repoDir)).close()
    const local = openLocalStorage(path.join(repoDir, '.dv'))
    for (const id of pair) expect(await local.objects.put(await memory.objects.get(id as never))).toBe(id)
    const prefix = pair[0].slice(0, 4)
    const r = runDv(['show', prefix], { cwd: repoDir })
    expectFailure(r, 2, new RegExp(`prefix '${prefix}' is ambiguous: it matches ${pair.map((id) => id.slice(0, 12)).sort().join(', ')}`))
  })

  it('a corrupted metadata object exits 5 naming the object', () => {
    const copy = path.join(work, 'corrupt')
    cpSync(lake, copy, { recursive: true })
    const head = (JSON.parse(runDv(['--json', 'log', '-n', '1'], { cwd: copy }).stdout) as Array<{ snapshot: string }>)[0]!.snapshot
    const file = path.join(copy, '.dv', 'objects', head.slice(0, 2), head)
    writeFileSync(file, readFileSync(file, 'utf8').replace('"message"', '"messagf"'))
    const r = runDv(['log'], { cwd: copy })
    expectFailure(r, 5, new RegExp(head.slice(0, 12)))
    const asJson = runDv(['--json', 'show', 'HEAD'], { cwd: copy })
    expect(asJson.code).toBe(5)
    expect(JSON.parse(asJson.stdout).error).toMatchObject({ code: 'CORRUPT', exitCode: 5 })
  })

  it('a table that never existed on the history is exit 3 for dv log --table', () => {
    expectFailure(dv('log', '--table', 'nope'), 3, /table 'nope' never existed in the history of HEAD/)
    expect(dv('log', '--table', 'events', '--oneline').code).toBe(0)
    expect(dv('log', 'main~1', '--table', 'events').code).toBe(0) // HEAD~1 is the load itself
  })

  it('a 300-character table name is told the length limit, not the character rule', () => {
    const before = state()
    const r = dv('write', 'x'.repeat(300), 'events.csv')
    expectFailure(r, 2, /it is 300 characters long; the limit is 255/)
    expect(r.stderr).not.toMatch(/use letters, digits/)
    expectFailure(dv('write', `a.${'y'.repeat(129)}`, 'events.csv'), 2, /at most 128/)
    expect(state()).toBe(before)
  })

  it('--partition-by on an unpartitioned table says it is not partitioned', () => {
    expect(dv('write', 'flat', 'users.ndjson', '--commit', '-m', 'flat').code).toBe(0)
    const r = dv('write', 'flat', 'users.ndjson', '--partition-by', 'country')
    expectFailure(r, 2, /table 'flat' is not partitioned; --partition-by 'country' differs/)
    expect(r.stderr).not.toMatch(/not at all/)
  })

  it('a branch and a tag with one name: exit 2 naming branches/NAME and tags/NAME', () => {
    expect(dv('tag', 'same').code).toBe(0)
    expect(dv('branch', 'same').code).toBe(0)
    const r = dv('log', 'same')
    expectFailure(r, 2, /'same' is ambiguous/)
    expect(r.stderr).toMatch(/^hint: .*'branches\/same' or 'tags\/same'/m)
    expect(dv('log', '-n', '1', 'tags/same').code).toBe(0)
    expect(dv('checkout', 'branches/same')).toMatchObject({ code: 0, stdout: expect.stringMatching(/same/) })
    expect(dv('status').stdout).toMatch(/^On branch same/m)
    expect(dv('checkout', 'main').code).toBe(0)
  })

  it('a missing data object is exit 5, names the object and points to dv fsck', () => {
    const copy = path.join(work, 'missing')
    cpSync(lake, copy, { recursive: true })
    const objects = path.join(copy, '.dv', 'objects')
    const parquet = readdirSync(objects).flatMap((d) => readdirSync(path.join(objects, d)).map((f) => path.join(objects, d, f)))
      .find((f) => readFileSync(f).subarray(0, 4).toString() === 'PAR1')!
    rmSync(parquet)
    const r = runDv(['cat', 'events'], { cwd: copy })
    expectFailure(r, 5, new RegExp(`data file ${path.basename(parquet).slice(0, 12)} is missing from the object store`))
    expect(r.stderr).toMatch(/^hint: .*dv fsck/m)
    const fsck = runDv(['fsck'], { cwd: copy })
    expect(fsck.code).toBe(3) // every problem a missing object: NOT_FOUND (format-spec/gc.md)
    expect(fsck.stdout).toContain(path.basename(parquet))
  })

  it("a corrupt ref's hint names the ref file and dv fsck, never a command that does not exist", () => {
    const copy = path.join(work, 'badref')
    cpSync(lake, copy, { recursive: true })
    const ref = path.join(copy, '.dv', 'refs', 'branches', 'main')
    writeFileSync(ref, 'garbage\n')
    const r = runDv(['log'], { cwd: copy })
    expectFailure(r, 5, /ref file .* is corrupt/)
    const hint = r.stderr.split('\n').find((l) => l.startsWith('hint: '))!
    expect(hint).toContain(ref)
    expect(hint).toMatch(/dv fsck/)
    expect(hint).not.toMatch(/reflog/)
  })
})
