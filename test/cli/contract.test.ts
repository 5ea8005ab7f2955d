/**
 * `dv contract set|show|rm`, `dv check` and enforcement through the built
 * `dv`: a violating write exits 8 with each failed rule (text on stderr, the
 * report under --json) and changes nothing; bad contracts exit 2 with
 * file:line:column; `dv check` prints text, JSON and JUnit XML; `dv diff`
 * shows a contract change.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, modulesLoaded, runDv, writeLoadHook, type DvRun } from './run-dv.js'

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
      - name: country
        logicalType: string
        quality:
          - type: library
            metric: invalidValues
            arguments:
              validValues: [DE, FR, NL]
            mustBe: 0
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
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-contract-'))
  lake = path.join(work, 'lake')
  expect(runDv(['init', lake], { cwd: work }).code).toBe(0)
  ok('write', 'orders', file('a.csv', 'id,country\n1,DE\n2,FR\n'), '--commit', '-m', 'load')
  ok('contract', 'set', 'orders', file('orders.odcs.yaml', CONTRACT))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('enforcement', () => {
  it('a violating write exits 8, prints each failed rule with its bound and sample rows, and changes nothing', () => {
    const before = state()
    const r = dv('write', 'orders', file('bad.csv', 'id,country\n2,DE\n3,XX\n'), '--commit', '-m', 'bad')
    expect(r.code, r.stderr).toBe(8)
    expect(r.stderr).toMatch(/^error: the contract of table 'orders' failed on top of [0-9a-f]+: 2 rule\(s\) failed: id\.unique, country\.invalidValues\n/)
    expect(r.stderr).toContain('  FAIL country.invalidValues (valid values DE, FR, NL): measured 1, bound = 0 rows [engine, added rows]\n    sample rows:\n      id="3" country="XX"\n')
    expect(r.stderr).toMatch(/^hint: nothing was applied/m)
    expect(state()).toBe(before)
  })

  it('a passing write reads the stored contract without loading the ODCS validator (ajv): it validated when set', () => {
    const hook = writeLoadHook(work)
    const { loaded, run } = modulesLoaded(hook, ['write', 'orders', file('ok.csv', 'id,country\n3,NL\n'), '--commit', '-m', 'ok'], { cwd: lake })
    expect(run.code, run.stderr).toBe(0)
    expect(loaded.filter((l) => l.includes('ajv'))).toEqual([])
    expect(loaded.some((l) => l.includes('yaml'))).toBe(true) // the hook sees the contract being read
    // and the contract is enforced all the same: the id again breaks `unique` (exit 8)
    const again = modulesLoaded(hook, ['write', 'orders', 'ok.csv', '--commit', '-m', 'again'], { cwd: lake })
    expect(again.run.code, again.run.stderr).toBe(8)
    expect(again.run.stderr).toContain('id.unique')
    expect(again.loaded.filter((l) => l.includes('ajv'))).toEqual([])
    // `dv contract set` does validate (and so loads ajv)
    expect(modulesLoaded(hook, ['contract', 'set', 'orders', 'orders.odcs.yaml'], { cwd: lake }).loaded.some((l) => l.includes('ajv'))).toBe(true)
  })

  it('--json prints one document with the report', () => {
    const r = dv('--json', 'write', 'orders', 'bad.csv', '--commit', '-m', 'bad')
    expect(r.code).toBe(8)
    const doc = JSON.parse(r.stdout) as { error: { code: string; exitCode: number; contract: Array<{ rules: Array<{ name: string; status: string; samples: unknown[] }> }> } }
    expect(doc.error).toMatchObject({ code: 'QUALITY', exitCode: 8 })
    expect(doc.error.contract[0]!.rules.filter((x) => x.status === 'failed').map((x) => x.name)).toEqual(['id.unique', 'country.invalidValues'])
  })
})

describe('bad contracts exit 2 with file, line and column and change nothing', () => {
  it.each([
    ['YAML that does not parse', 'schema: [\n', /^error: broken\.yaml:\d+:\d+: the contract is not valid YAML/],
    ['an unknown column', CONTRACT.replace('name: country', 'name: nation'), /^error: broken\.yaml:13:15: table 'orders' has no column 'nation'/],
    ['a type that does not match the table', CONTRACT.replace('logicalType: integer', 'logicalType: string'), /^error: broken\.yaml:10:22: column 'id' is long in table 'orders', which is not logicalType 'string'/],
    ['an invalid regex', CONTRACT.replace('        quality:', '        logicalTypeOptions: {pattern: "[A-Z"}\n        quality:'), /^error: broken\.yaml:15:39: invalid regular expression/],
  ])('%s', (_what, text, message) => {
    const before = state()
    const r = dv('contract', 'set', 'orders', file('broken.yaml', text))
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(state()).toBe(before)
  })

  it('a missing file exits 3', () => {
    expect(dv('contract', 'set', 'orders', 'nope.yaml').code).toBe(3)
  })
})

describe('dv check, show, diff, rm', () => {
  it('check prints a passing report (exit 0), as JSON, and as JUnit XML', () => {
    const r = ok('check', 'orders', '--junit', 'report.xml')
    expect(r.stdout).toMatch(/^contract of orders \(schema object orders\) at [0-9a-f]{12}: passed\n {2}ok {3}id\.required/)
    const junit = readFileSync(path.join(lake, 'report.xml'), 'utf8')
    expect(junit).toContain('<testsuite name="dv check orders" tests="3" failures="0" skipped="0">')
    expect(junit).toContain('<testcase classname="dv.contract.orders" name="country.invalidValues"></testcase>')
    const json = JSON.parse(ok('--json', 'check', 'orders').stdout) as { passed: boolean; rules: unknown[] }
    expect(json).toMatchObject({ passed: true })
    expect(json.rules).toHaveLength(3)
  })

  it('check of a table that breaks its contract exits 8 with the report, and the JUnit file has the failure', () => {
    ok('contract', 'rm', 'orders')
    ok('write', 'orders', file('xx.csv', 'id,country\n9,XX\n'), '--commit', '-m', 'unchecked')
    ok('contract', 'set', 'orders', 'orders.odcs.yaml')
    const r = dv('check', 'orders', '--junit', 'fail.xml')
    expect(r.code).toBe(8)
    expect(r.stdout).toContain('  FAIL country.invalidValues (valid values DE, FR, NL): measured 1, bound = 0 rows [engine, table]')
    expect(readFileSync(path.join(lake, 'fail.xml'), 'utf8')).toMatch(/<testcase classname="dv\.contract\.orders" name="country\.invalidValues"><failure message="measured 1, bound = 0 rows">/)
  })

  it('show prints the contract as set and time-travels; diff shows the change', () => {
    expect(ok('contract', 'show', 'orders').stdout).toBe(CONTRACT)
    const none = dv('contract', 'show', 'orders', '--at', 'HEAD~1')
    expect(none.code).toBe(3)
    expect(none.stderr).toMatch(/has no contract at/)
    const diff = ok('diff', 'HEAD~1', 'HEAD').stdout
    expect(diff).toContain('  contract set:\n    +apiVersion: v3.1.0\n')
  })

  it('an unknown --on-violation value is a usage error (exit 2); quarantine cannot quarantine a repeated id (a table-level rule): exit 8, nothing changed', () => {
    const before = state()
    const r = dv('write', 'orders', 'a.csv', '--on-violation', 'ignore')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--on-violation/)
    const q = dv('write', 'orders', 'a.csv', '--on-violation', 'quarantine', '--commit', '-m', 'again')
    expect(q.code, q.stderr).toBe(8)
    expect(q.stderr).toMatch(/1 rule\(s\) failed: id\.unique/)
    expect(state()).toBe(before)
  })
})
