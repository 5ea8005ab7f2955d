/**
 * The reflog and its undo commands through the built `dv`: `dv reflog`,
 * NAME@{N}, `dv reset`, `dv branch restore`, `dv restore --staged` and
 * `dv reset TABLE`. Bad input exits with its documented code, says why and
 * how to fix it, and leaves refs, reflog and staging byte-identical.
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
const head = (rev = 'main'): string => JSON.parse(ok('--json', 'show', rev).stdout).commit.snapshot as string

/** Every file of refs/, reflog/, staging/ and HEAD, with its content: what bad input must not change. */
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
function input(rows: string): string {
  const name = `in-${++n}.csv`
  writeFileSync(path.join(lake, name), `id,kind\n${rows}`)
  return name
}

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-undo-'))
  lake = path.join(work, 'lake')
  expect(runDv(['init', 'lake'], { cwd: work }).code).toBe(0)
  for (const i of [1, 2, 3]) ok('write', 't', input(`${i},k${i}\n`), '--commit', '-m', `c${i}`)
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dv reflog', () => {
  it('prints every update of the branch, newest first, git-style; -n and --json', () => {
    const lines = ok('reflog').lines
    expect(lines).toEqual([
      expect.stringMatching(/^[0-9a-f]{7} main@\{0\}: commit: c3$/),
      expect.stringMatching(/^[0-9a-f]{7} main@\{1\}: commit: c2$/),
      expect.stringMatching(/^[0-9a-f]{7} main@\{2\}: commit: c1$/),
      expect.stringMatching(/^[0-9a-f]{7} main@\{3\}: init$/),
    ])
    expect(ok('reflog', 'main', '-n', '2').lines).toEqual(lines.slice(0, 2))
    const j = JSON.parse(ok('--json', 'reflog').stdout)
    expect(j).toMatchObject({ ref: 'branches/main', name: 'main', current: head() })
    expect(j.entries[1]).toMatchObject({ selector: 'main@{1}', snapshot: head('main~1'), previous: head('main~2'), user: 'Test <test@example.com>', message: 'commit: c2' })
    expect(ok('log', '--oneline', 'main@{1}').lines[0]).toMatch(/ c2$/)
  })

  it('NAME@{N} beyond the reflog exits 3 naming how many entries exist; malformed exits 2; nothing changes', () => {
    const before = state()
    refused(dv('show', 'main@{9}'), 3, /beyond the reflog of 'main': it has 4 entries \(main@\{0\} to main@\{3\}\)/)
    refused(dv('cat', 't', '--at', 'main~1@{1}'), 2, /must follow a branch or tag name/)
    refused(dv('reflog', 'nope'), 3, /no branch or tag 'nope'/)
    refused(dv('reflog', '-n', 'x'), 2, /-n/)
    expect(state()).toBe(before)
  })
})

describe('dv reset and dv branch restore', () => {
  it('refuses to drop commits without --force (exit 2, how many, how to undo), then resets; branch restore main@{1} brings the exact head back', () => {
    const old = head()
    const before = state()
    const r = dv('reset', '--hard', 'main~2')
    refused(r, 2, /would drop 2 commit\(s\)/)
    expect(r.stderr).toMatch(/^hint: .*--force.*dv branch restore main@\{1\}/m)
    expect(state()).toBe(before)

    expect(ok('reset', '--hard', '--force', 'main~2').lines).toEqual([
      expect.stringMatching(/^main is now at [0-9a-f]{7} \(was [0-9a-f]{7}\)$/),
      '2 commits no longer on main: dv branch restore main@{1} brings them back',
    ])
    expect(ok('log', '--oneline').lines.map((l) => l.slice(8))).toEqual(['(main) c1', 'initialize repository'])
    expect(ok('reflog', '-n', '1').lines[0]).toMatch(/ main@\{0\}: reset --hard --force main~2$/)
    expect(ok('branch', 'restore', 'main@{1}').lines).toEqual([expect.stringMatching(/^moved branch main from [0-9a-f]{7} to [0-9a-f]{7}$/)])
    expect(head()).toBe(old)
    expect(ok('cat', 't').lines.slice(1).sort()).toEqual(['1,k1', '2,k2', '3,k3'])
  })

  it('undoes a branch deletion through the reflog; refuses (exit 4) to move a branch that gained commits unless --force', () => {
    ok('branch', 'feature')
    ok('write', 't', input('9,feat\n'), '--branch', 'feature', '--commit', '-m', 'f1')
    const f1 = head('feature')
    ok('branch', '-d', 'feature')
    expect(ok('reflog', 'feature').lines[0]).toMatch(/^0000000 feature@\{0\}: branch -d$/)
    expect(ok('branch', 'restore', 'feature@{1}').lines).toEqual([`re-created branch feature at ${f1.slice(0, 7)}`])
    expect(head('feature')).toBe(f1)

    ok('write', 't', input('10,feat\n'), '--branch', 'feature', '--commit', '-m', 'f2')
    const before = state()
    const r = dv('branch', 'restore', 'feature@{1}')
    refused(r, 4, /restoring it would drop 1 commit/)
    expect(state()).toBe(before)
    refused(dv('branch', 'restore', 'feature'), 2, /not a reflog entry/)
    refused(dv('branch', 'restore'), 2, /needs one NAME@\{N\}/)
    refused(dv('branch', 'x', '--force'), 2, /--force applies to/)
    expect(state()).toBe(before)
    expect(ok('branch', 'restore', 'feature@{1}', '--force').lines[0]).toMatch(/1 commit no longer on it/)
    expect(head('feature')).toBe(f1)
  })
})

describe('unstaging', () => {
  it('status shows each staged change with its id; restore --staged --change unstages one; reset TABLE and restore --staged TABLE unstage a table', () => {
    ok('write', 't', input('20,a\n'))
    ok('write', 't', input('21,b\n'))
    ok('write', 'u', input('22,c\n'))
    const staged = ok('status').lines.slice(2)
    expect(staged).toEqual([
      expect.stringMatching(/^ {2}[0-9a-f]{8} {2}append {4,}t +1 row +1 file$/),
      expect.stringMatching(/^ {2}[0-9a-f]{8} {2}append {4,}t +1 row +1 file$/),
      expect.stringMatching(/^ {2}[0-9a-f]{8} {2}append {4,}u +1 row +1 file +\(new table\)$/),
    ])
    const second = staged[1]!.trim().slice(0, 8)
    expect(ok('restore', '--staged', '--change', second).lines).toEqual([`unstaged ${second} append to t: 1 row in 1 file`])
    expect(ok('reset', 'u').lines).toEqual([expect.stringMatching(/^unstaged [0-9a-f]{8} append to u: 1 row in 1 file$/)])
    expect(ok('status').lines.slice(2)).toEqual([staged[0]])
    ok('restore', '--staged', 't')
    expect(ok('status').lines[1]).toMatch(/^nothing staged/)
  })

  it('refuses what is not staged (exit 3), dv restore without --staged and mixed arguments (exit 2); nothing changes', () => {
    ok('write', 't', input('30,x\n'))
    const before = state()
    refused(dv('restore', '--staged', 'nope'), 3, /'nope' have no staged changes/)
    refused(dv('restore', '--staged', '--change', 'ffffffff'), 3, /no staged change ffffffff/)
    refused(dv('restore', 't'), 2, /needs --staged/)
    refused(dv('reset', 'nope'), 3, /neither a revision nor a table with staged changes/)
    refused(dv('reset', '--soft', '--hard', 'main'), 2, /cannot be combined/)
    refused(dv('reset', 'main', '--', 't'), 2, /a REV or -- TABLE/)
    refused(dv('reset'), 2, /needs a REV/)
    expect(state()).toBe(before)
    ok('reset', '--', 't')
    refused(dv('restore', '--staged'), 3, /nothing is staged/)
  })

  it('a name that is both a revision and a staged table is ambiguous (exit 2)', () => {
    ok('branch', 't')
    ok('write', 't', input('40,y\n'))
    const before = state()
    refused(dv('reset', 't'), 2, /both a revision and a table/)
    expect(state()).toBe(before)
    ok('reset', '--', 't')
    ok('reset', 't~0')
  })
})
