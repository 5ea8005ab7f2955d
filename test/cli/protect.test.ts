/**
 * `dv branch protect|unprotect` and `--no-verify` through the built `dv`
 * (each run its own process: a client that did not set the protection obeys
 * it): a refused request exits 2 naming the rule and how to proceed, and
 * leaves refs, reflog and staging byte-identical; --no-verify skips the
 * contracts with a note, except on a --require-checks branch (exit 8).
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
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
  return r
}

const CONTRACT = `apiVersion: v3.1.0
kind: DataContract
id: orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
        required: true
        unique: true
`

function state(): string {
  const walk = (dir: string): string[] => (!existsSync(dir) ? [] : readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? walk(p) : [`${p}: ${readFileSync(p, 'utf8')}`]
  }))
  return ['refs', 'reflog', 'staging'].flatMap((d) => walk(path.join(lake, '.dv', d))).join('\n')
}

function file(name: string, text: string): string {
  writeFileSync(path.join(lake, name), text)
  return name
}

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-protect-'))
  lake = path.join(work, 'lake')
  expect(runDv(['init', lake], { cwd: work }).code).toBe(0)
  ok('write', 'orders', file('a.csv', 'id,country\n1,DE\n2,FR\n'), '--commit', '-m', 'load')
  ok('contract', 'set', 'orders', file('orders.odcs.yaml', CONTRACT))
  ok('branch', 'dev')
  ok('write', 'orders', file('b.csv', 'id,country\n3,NL\n'), '--commit', '-m', 'on dev', '--branch', 'dev')
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dv branch protect', () => {
  it('protects main, shows it in dv branch and --list (text and --json), and records the change in --log', () => {
    expect(ok('branch', 'protect', 'main', '--require-merge', '--require-checks').stdout).toBe('branch main is protected (require-checks, require-merge)\n')
    expect(ok('branch').stdout).toMatch(/^ {2}dev +[0-9a-f]{7}\n\* main +[0-9a-f]{7} +protected \(require-checks, require-merge\)\n$/)
    expect(ok('branch', 'protect', '--list').stdout).toBe('main  protected (require-checks, require-merge)\n')
    expect(JSON.parse(ok('--json', 'branch', 'protect', '--list').stdout)).toEqual([{ branch: 'main', requireChecks: true, requireMerge: true }])
    expect(JSON.parse(ok('--json', 'branch').stdout).find((b: { name: string }) => b.name === 'main').protection).toEqual({ requireChecks: true, requireMerge: true })
    expect(ok('branch', 'protect', '--log').stdout).toMatch(/^[0-9a-f]{7} \S+Z Test <test@example.com>: branch protect main --require-checks --require-merge\n$/)
    expect(dv('branch', 'protect').code).toBe(2)
    expect(dv('branch', 'protect', 'nope').code).toBe(3)
    expect(dv('branch', 'dev2', '--require-merge').code).toBe(2)
  })

  it('refuses direct writes, commits, revert, cherry-pick, reset, restore and delete with exit 2 naming the rule, changing nothing', () => {
    const before = state()
    const refusals: Array<[string[], RegExp]> = [
      [['write', 'orders', 'b.csv', '--commit', '-m', 'direct'], /^error: branch 'main' is protected with --require-merge: a direct write is refused\nhint: write to another branch and merge it: `dv checkout -b change main`, write and commit there, `dv check TABLE`, then `dv merge change --into main`\n$/],
      [['write', 'orders', 'b.csv'], /--require-merge: a direct write is refused/],
      [['commit', '-m', 'empty', '--allow-empty'], /--require-merge: a direct commit is refused/],
      [['revert', 'main'], /--require-merge: a direct revert is refused/],
      [['cherry-pick', 'dev'], /--require-merge: a direct cherry-pick is refused/],
      [['reset', '--hard', '--force', 'main~1'], /^error: branch 'main' is protected: moving it by dv reset is refused\nhint: run `dv branch unprotect main` first if you really mean it\n$/],
      [['branch', 'restore', 'main@{1}', '--force'], /protected: moving it by dv branch restore is refused/],
      [['-C', lake, 'branch', '-d', 'main'], /cannot delete branch 'main': it is checked out|protected: deleting it is refused/],
    ]
    for (const [args, message] of refusals) {
      const r = dv(...args)
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
      expect(r.stderr).toMatch(message)
    }
    ok('checkout', 'dev')
    const del = dv('branch', '-d', 'main')
    expect(del.code).toBe(2)
    expect(del.stderr).toMatch(/^error: branch 'main' is protected: deleting it is refused\n/)
    ok('checkout', 'main')
    expect(state()).toBe(before)
  })

  it('takes data by merge (write-audit-publish); --no-verify cannot skip the contracts of a --require-checks branch (exit 8)', () => {
    ok('write', 'orders', file('dup.csv', 'id,country\n1,PL\n'), '--commit', '-m', 'duplicate id', '--branch', 'dev', '--no-verify')
    const before = state()
    const r = dv('merge', 'dev', '--no-verify')
    expect(r.code, r.stderr).toBe(8)
    expect(r.stderr).toMatch(/failed: id\.unique/)
    expect(state()).toBe(before)
    ok('branch', 'unprotect', 'main')
    const skipped = ok('merge', 'dev', '--no-verify')
    expect(skipped.stdout).toMatch(/^fast-forward: main is now at/)
    expect(skipped.stderr).toBe('dv: contracts skipped (--no-verify)\n')
    expect(JSON.parse(ok('--json', 'branch', 'protect', '--log').stdout).map((v: { message: string }) => v.message)).toEqual([
      'branch unprotect main', 'branch protect main --require-checks --require-merge',
    ])
  })

  it('--no-verify on a --require-checks branch runs the contracts anyway and says so', () => {
    ok('branch', 'protect', 'main', '--require-checks')
    const r = ok('write', 'orders', file('c.csv', 'id,country\n40,DE\n'), '--commit', '-m', 'good', '--no-verify')
    expect(r.stderr).toBe("dv: --no-verify ignored: branch 'main' is protected with --require-checks; the contracts ran and passed\n")
    expect(JSON.parse(ok('--json', 'write', 'orders', file('d.csv', 'id,country\n41,DE\n'), '--commit', '-m', 'good', '--no-verify').stdout).commit.checks).toBe('required')
    expect(dv('write', 'orders', file('e.csv', 'id,country\n41,DE\n'), '--commit', '-m', 'dup', '--no-verify').code).toBe(8)
  })
})
