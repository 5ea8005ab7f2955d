/**
 * `dv write --on-violation quarantine` through the built `dv`: the summary
 * line, --json counts, `dv cat` of the quarantine table, and the refusals
 * (no contract, a TABLE__quarantine of another shape: exit 2; a table-level
 * rule: exit 8), each leaving refs, reflog and staging as they were.
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
      - name: country
        logicalType: string
        logicalTypeOptions: {pattern: "^[A-Z]{2}$"}
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
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-quarantine-'))
  lake = path.join(work, 'lake')
  expect(runDv(['init', lake], { cwd: work }).code).toBe(0)
  ok('write', 'orders', file('a.csv', 'id,country\n1,DE\n'), '--commit', '-m', 'load')
  ok('contract', 'set', 'orders', file('orders.odcs.yaml', CONTRACT))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dv write --on-violation quarantine', () => {
  it('commits the passing rows and quarantines the others in one commit, and says how many went where', () => {
    const r = ok('write', 'orders', file('b.csv', 'id,country\n2,FR\n,NL\n4,fr\n,x\n'), '--on-violation', 'quarantine', '--commit', '-m', 'load b')
    expect(r.stdout).toMatch(/^\[main [0-9a-f]+\] load b\n {2}orders: \+1 row, \+1 file\n {2}orders__quarantine: \+3 rows, \+1 file \(new table\)\n/)
    expect(r.stdout).toContain('1 row committed to orders, 3 quarantined to orders__quarantine (id.required: 2, country.pattern: 2)\n')
    const rows = ok('cat', 'orders__quarantine', '--columns', 'id,country,_dv_rule', '--format', 'ndjson').stdout.trim().split('\n').sort()
    expect(rows).toEqual([
      '{"id":4,"country":"fr","_dv_rule":["country.pattern"]}',
      '{"id":null,"country":"NL","_dv_rule":["id.required"]}',
      '{"id":null,"country":"x","_dv_rule":["id.required","country.pattern"]}',
    ])
    expect(ok('log', '-n', '1', '--oneline').stdout).toMatch(/load b/)
  })

  it('--json carries the counts', () => {
    const r = ok('write', 'orders', file('c.csv', 'id,country\n5,DE\n6,de\n'), '--on-violation', 'quarantine', '--commit', '-m', 'c', '--json')
    const out = JSON.parse(r.stdout) as { rows: number; quarantine: { table: string; rows: number; byRule: Record<string, number>; created: boolean } }
    expect(out.rows).toBe(1)
    expect(out.quarantine).toMatchObject({ table: 'orders__quarantine', rows: 1, byRule: { 'country.pattern': 1 }, created: false })
  })

  it('refuses a table without a contract and a TABLE__quarantine of another shape (exit 2), and a table-level rule failing (exit 8), changing nothing', () => {
    ok('write', 'plain', file('p.csv', 'id,country\n1,DE\n'), '--commit', '-m', 'plain')
    let before = state()
    const none = dv('write', 'plain', 'p.csv', '--on-violation', 'quarantine', '--commit', '-m', 'x')
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^error: table 'plain' has no contract: --on-violation quarantine splits rows by a contract's row rules\nhint: set a contract/)
    expect(state()).toBe(before)

    ok('write', 'plain__quarantine', file('o.csv', 'x\n1\n'), '--commit', '-m', 'other')
    ok('contract', 'set', 'plain', file('plain.odcs.yaml', CONTRACT.replace('- name: orders', '- name: plain')))
    before = state()
    const shape = dv('write', 'plain', file('p2.csv', 'id,country\n,DE\n'), '--on-violation', 'quarantine', '--commit', '-m', 'x')
    expect(shape.code).toBe(2)
    expect(shape.stderr).toMatch(/table 'plain__quarantine' exists with another shape/)
    expect(state()).toBe(before)

    ok('contract', 'set', 'orders', file('orders2.odcs.yaml', `${CONTRACT}    quality:\n      - {metric: rowCount, mustBeLessThan: 4}\n`))
    before = state()
    const table = dv('write', 'orders', file('d.csv', 'id,country\n7,DE\n,DE\n'), '--on-violation', 'quarantine', '--commit', '-m', 'd')
    expect(table.code).toBe(8)
    expect(table.stderr).toMatch(/rowCount/)
    expect(state()).toBe(before)
  })
})
