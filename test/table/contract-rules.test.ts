/* eslint-disable no-template-curly-in-string -- ODCS sql rules are written with ${object} and ${column} */
/**
 * Every supported rule and operator, passing and failing, on the column
 * types it applies to (format-spec/contracts.md#rules), through
 * Repository.setContract + Repository.check over one real table, and the
 * `set`-time refusals that need the engine (RE2 patterns, sql rules).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, type ContractRuleResult, type DvError } from '../../src/index.js'

let dir: string
let repo: Repository
const NOW = Date.parse('2026-01-04T12:00:00Z')

const HEAD = 'apiVersion: v3.1.0\nkind: DataContract\nid: c1\nversion: 1.0.0\nstatus: active\n'

/** A contract for table t with `properties` (YAML list items, indented 6) and table-level `quality` (indented 6). */
function contract(properties: string, quality = ''): string {
  return `${HEAD}schema:\n  - name: t\n    properties:\n${properties}${quality ? `    quality:\n${quality}` : ''}`
}

function prop(name: string, logicalType: string, body: string): string {
  return `      - name: ${name}\n        logicalType: ${logicalType}\n${body.split('\n').filter(Boolean).map((l) => `        ${l}\n`).join('')}`
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-contract-rules-'))
  repo = await Repository.init(join(dir, 'repo'), { author: 'ann', now: () => NOW })
  const input = join(dir, 't.csv')
  await writeFile(input, [
    'id,name,amount,price,day,ts,code',
    '1,ann,1.5,10.00,2026-01-01,2026-01-01T00:00:00Z,AB',
    '2,bob,2.5,20.50,2026-01-02,2026-01-02T00:00:00Z,CD',
    '3,,,30.00,2026-01-03,2026-01-03T00:00:00Z,EF',
    '3,x,100,5.25,2026-01-04,2026-01-04T00:00:00Z,GH',
  ].join('\n') + '\n')
  await repo.write('t', input, { commit: true, message: 'load', schema: 'id long, name string, amount double, price decimal(10,2), day date, ts timestamptz, code string' })
})
afterAll(async () => {
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

/** Sets `text` as t's contract, checks the table, returns the result of rule `name`. */
async function rule(text: string, name: string): Promise<ContractRuleResult> {
  await repo.setContract('t', text, { file: 'c.yaml' })
  const report = await repo.check('t')
  const found = report.rules.find((r) => r.name === name)
  if (!found) throw new Error(`no rule ${name} in ${report.rules.map((r) => r.name).join(', ')}`)
  expect(report.passed).toBe(report.rules.every((r) => r.status === 'passed'))
  return found
}

// [case, contract, rule name, status, measured, decided by]
const CASES: Array<[string, string, string, 'passed' | 'failed', number | null, 'statistics' | 'engine']> = [
  ['required, long, no nulls', contract(prop('id', 'integer', 'required: true')), 'id.required', 'passed', 0, 'statistics'],
  ['required, string with a null', contract(prop('name', 'string', 'required: true')), 'name.required', 'failed', 1, 'engine'],
  ['unique, string', contract(prop('code', 'string', 'unique: true')), 'code.unique', 'passed', 0, 'engine'],
  ['unique, long with a repeat', contract(prop('id', 'integer', 'unique: true')), 'id.unique', 'failed', 1, 'engine'],
  ['range, double within', contract(prop('amount', 'number', 'logicalTypeOptions: {minimum: 0, maximum: 200}')), 'amount.range', 'passed', 0, 'statistics'],
  ['range, double above maximum', contract(prop('amount', 'number', 'logicalTypeOptions: {maximum: 50}')), 'amount.range', 'failed', 1, 'engine'],
  ['range, decimal below minimum', contract(prop('price', 'number', 'logicalTypeOptions: {minimum: 6}')), 'price.range', 'failed', 1, 'engine'],
  ['range, long within', contract(prop('id', 'integer', 'logicalTypeOptions: {minimum: 1, maximum: 3}')), 'id.range', 'passed', 0, 'statistics'],
  ['range, date below minimum', contract(prop('day', 'date', 'logicalTypeOptions: {minimum: "2026-01-02"}')), 'day.range', 'failed', 1, 'engine'],
  ['range, date within', contract(prop('day', 'date', 'logicalTypeOptions: {maximum: "2026-12-31"}')), 'day.range', 'passed', 0, 'statistics'],
  ['range, timestamptz above maximum', contract(prop('ts', 'timestamp', 'logicalTypeOptions: {maximum: "2026-01-03T00:00:00Z"}')), 'ts.range', 'failed', 1, 'engine'],
  ['minLength, string with a short value', contract(prop('name', 'string', 'logicalTypeOptions: {minLength: 2}')), 'name.length', 'failed', 1, 'engine'],
  ['maxLength, string', contract(prop('name', 'string', 'logicalTypeOptions: {maxLength: 3}')), 'name.length', 'passed', 0, 'engine'],
  ['pattern, matching', contract(prop('code', 'string', 'logicalTypeOptions: {pattern: "^[A-Z]{2}$"}')), 'code.pattern', 'passed', 0, 'engine'],
  ['pattern, not matching', contract(prop('code', 'string', 'logicalTypeOptions: {pattern: "^[A-C]"}')), 'code.pattern', 'failed', 2, 'engine'],
  ['format email', contract(prop('name', 'string', 'logicalTypeOptions: {format: email}')), 'name.format', 'failed', 3, 'engine'],
  ['invalidValues validValues, all valid', contract(prop('code', 'string', 'quality: [{metric: invalidValues, arguments: {validValues: [AB, CD, EF, GH]}, mustBe: 0}]')), 'code.invalidValues', 'passed', 0, 'engine'],
  ['invalidValues validValues, some invalid', contract(prop('code', 'string', 'quality: [{metric: invalidValues, arguments: {validValues: [AB]}, mustBe: 0}]')), 'code.invalidValues', 'failed', 3, 'engine'],
  ['invalidValues pattern as a metric (< 2)', contract(prop('code', 'string', 'quality: [{metric: invalidValues, arguments: {pattern: "^[A-E]"}, mustBeLessThan: 2}]')), 'code.invalidValues', 'passed', 1, 'engine'],
  ['nullValues percent', contract(prop('amount', 'number', 'quality: [{metric: nullValues, mustBeLessThan: 50, unit: percent}]')), 'amount.nullValues', 'passed', 25, 'statistics'],
  ['nullValues mustBeGreaterThan', contract(prop('amount', 'number', 'quality: [{metric: nullValues, mustBeGreaterThan: 2}]')), 'amount.nullValues', 'failed', 1, 'statistics'],
  ['nullValues mustBe 0 (a row rule)', contract(prop('amount', 'number', 'quality: [{metric: nullValues, mustBe: 0}]')), 'amount.nullValues', 'failed', 1, 'engine'],
  ['missingValues [null] mustBe 0, no nulls (null counts decide)', contract(prop('price', 'number', 'quality: [{metric: missingValues, arguments: {missingValues: [null]}, mustBe: 0}]')), 'price.missingValues', 'passed', 0, 'statistics'],
  ['missingValues [null] mustBe 0, a null', contract(prop('amount', 'number', 'quality: [{metric: missingValues, arguments: {missingValues: [null]}, mustBe: 0}]')), 'amount.missingValues', 'failed', 1, 'engine'],
  ['missingValues mustBe 0', contract(prop('name', 'string', 'quality: [{metric: missingValues, arguments: {missingValues: [null, x]}, mustBe: 0}]')), 'name.missingValues', 'failed', 2, 'engine'],
  ['missingValues mustBeLessOrEqualTo 2', contract(prop('name', 'string', 'quality: [{metric: missingValues, arguments: {missingValues: [x]}, mustBeLessOrEqualTo: 2}]')), 'name.missingValues', 'passed', 2, 'engine'],
  ['duplicateValues mustBeLessThan 2', contract(prop('id', 'integer', 'quality: [{metric: duplicateValues, mustBeLessThan: 2}]')), 'id.duplicateValues', 'passed', 1, 'engine'],
  ['duplicateValues mustBe 0 (uniqueness)', contract(prop('id', 'integer', 'quality: [{metric: duplicateValues, mustBe: 0}]')), 'id.duplicateValues', 'failed', 1, 'engine'],
  ['rowCount mustBe', contract(prop('id', 'integer', ''), '      - {metric: rowCount, mustBe: 4}\n'), 'rowCount', 'passed', 4, 'statistics'],
  ['rowCount mustNotBe', contract(prop('id', 'integer', ''), '      - {metric: rowCount, mustNotBe: 4}\n'), 'rowCount', 'failed', 4, 'statistics'],
  ['rowCount mustBeGreaterThan', contract(prop('id', 'integer', ''), '      - {metric: rowCount, mustBeGreaterThan: 3}\n'), 'rowCount', 'passed', 4, 'statistics'],
  ['rowCount mustBeGreaterOrEqualTo', contract(prop('id', 'integer', ''), '      - {metric: rowCount, mustBeGreaterOrEqualTo: 5}\n'), 'rowCount', 'failed', 4, 'statistics'],
  ['rowCount mustBeLessThan', contract(prop('id', 'integer', ''), '      - {metric: rowCount, mustBeLessThan: 4}\n'), 'rowCount', 'failed', 4, 'statistics'],
  ['rowCount mustBeLessOrEqualTo', contract(prop('id', 'integer', ''), '      - {metric: rowCount, mustBeLessOrEqualTo: 4}\n'), 'rowCount', 'passed', 4, 'statistics'],
  ['rowCount mustBeBetween', contract(prop('id', 'integer', ''), '      - {metric: rowCount, mustBeBetween: [1, 10]}\n'), 'rowCount', 'passed', 4, 'statistics'],
  ['rowCount mustNotBeBetween', contract(prop('id', 'integer', ''), '      - {metric: rowCount, mustNotBeBetween: [1, 10]}\n'), 'rowCount', 'failed', 4, 'statistics'],
  ['sql over ${object}, passing', contract(prop('id', 'integer', ''), '      - {type: sql, name: total, query: "SELECT sum(amount) FROM ${object}", mustBeGreaterThan: 100}\n'), 'total', 'passed', 104, 'engine'],
  ['sql over ${object}, failing', contract(prop('id', 'integer', ''), '      - {type: sql, name: total, query: "SELECT sum(amount) FROM ${object}", mustBeLessThan: 100}\n'), 'total', 'failed', 104, 'engine'],
  ['sql with ${column} under a property', contract(prop('price', 'number', 'quality: [{type: sql, query: "SELECT max(${column}) FROM ${object}", mustBe: 30}]')), 'price.sql', 'passed', 30, 'engine'],
  ['freshness within maxAge', contract(prop('id', 'integer', ''), '      - {type: custom, engine: dv, implementation: {rule: freshness, column: ts, maxAge: 1d}}\n'), 'freshness', 'passed', 12 * 3600, 'statistics'],
  ['freshness older than maxAge', contract(prop('id', 'integer', ''), '      - {type: custom, engine: dv, implementation: {rule: freshness, column: ts, maxAge: PT6H}}\n'), 'freshness', 'failed', 12 * 3600, 'statistics'],
]

describe('every rule and operator', () => {
  it.each(CASES)('%s', async (_case, text, name, status, measured, by) => {
    const r = await rule(text, name)
    expect({ status: r.status, measured: r.measured, by: r.by }).toEqual({ status, measured, by })
    if (status === 'failed' && (r.kind === 'row' || r.kind === 'unique')) expect(r.samples.length).toBeGreaterThan(0)
    expect(r.where).toMatch(/^contract of table 't':\d+:\d+$/)
  })

  it('a failing rule reports up to 5 sample rows with every column', async () => {
    const r = await rule(contract(prop('name', 'string', 'logicalTypeOptions: {format: email}')), 'name.format')
    expect(r.samples).toHaveLength(3)
    expect(r.samples[0]).toEqual({ id: '1', name: 'ann', amount: '1.5', price: '10.00', day: '2026-01-01', ts: expect.stringMatching(/^2026-01-01/), code: 'AB' })
  })
})

describe('set refuses what the engine cannot run, naming the rule\'s place', () => {
  const sql = (query: string) => contract(prop('id', 'integer', ''), `      - type: sql\n        query: "${query}"\n        mustBe: 0\n`)

  it.each([
    ['reads a file', 'SELECT count(*) FROM read_csv(\'/etc/passwd\')', /table function read_csv\(\) is not allowed/],
    ['reads another table', 'SELECT count(*) FROM other', /it reads 'other': a rule may read only its own table/],
    ['reads a qualified table', 'SELECT count(*) FROM main.t', /it reads 'main.t'/],
    ['returns no number', 'SELECT \'x\' FROM ${object} LIMIT 1', /it returns VARCHAR, not a number/],
    ['returns two columns', 'SELECT 1, 2', /it returns 2 columns/],
    ['is two statements', 'SELECT 1; SELECT 2', /';' is not allowed/],
    ['is not a SELECT', 'DELETE FROM ${object}', /only a SELECT is allowed/],
    ['names an unknown column', 'SELECT max(nope) FROM ${object}', /nope/],
  ])('a sql rule that %s', async (_what, query, problem) => {
    const text = sql(query)
    const e = await failure(repo.setContract('t', text, { file: 'c.yaml' }))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/^c\.yaml:\d+:\d+: invalid sql rule/)
    expect(e.message).toMatch(problem)
  })

  it('a pattern valid in JavaScript but not in RE2 (lookbehind)', async () => {
    const e = await failure(repo.setContract('t', contract(prop('code', 'string', 'logicalTypeOptions: {pattern: "(?<=A)B"}')), { file: 'c.yaml' }))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/^c\.yaml:\d+:\d+: invalid regular expression "\(\?<=A\)B"/)
  })

  it('unsupported rules need --allow-unsupported, and are then listed as skipped', async () => {
    const text = contract(prop('code', 'string', 'quality: [{type: text, description: codes are upper case}]'))
    const e = await failure(repo.setContract('t', text, { file: 'c.yaml' }))
    expect(e.message).toMatch(/the contract has 1 rule\(s\) dv does not enforce: c\.yaml:\d+:\d+: text rule 'codes are upper case'/)
    const set = await repo.setContract('t', text, { file: 'c.yaml', allowUnsupported: true })
    expect(set.unsupported).toHaveLength(1)
    expect((await repo.check('t')).skipped).toEqual([{ what: "text rule 'codes are upper case' (not executable)", where: expect.stringMatching(/^contract of table 't':\d+:\d+$/) }])
  })
})
