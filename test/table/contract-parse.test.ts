/**
 * Reading contracts (format-spec/contracts.md#reading-a-contract): a real
 * ODCS example from the standard's documentation parses and validates;
 * malformed contracts fail with INVALID_ARGUMENT naming file, line and
 * column; unsupported parts are listed, never dropped.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DvError } from '../../src/index.js'
import type { Schema, TableMetadata } from '../../src/format/types.js'
import { compileContract } from '../../src/table/contract/compile.js'
import { parseContract } from '../../src/table/contract/parse.js'
import { contractOf } from '../../src/table/contract/enforce.js'

const SCHEMA: Schema = {
  fields: [
    { id: 1, name: 'id', type: 'long', required: false },
    { id: 2, name: 'email', type: 'string', required: false },
    { id: 3, name: 'amount', type: 'decimal(10,2)', required: false },
    { id: 4, name: 'ts', type: 'timestamptz', required: false },
  ],
}

const HEAD = 'apiVersion: v3.1.0\nkind: DataContract\nid: c1\nversion: 1.0.0\nstatus: active\n'

function contract(body: string): string {
  return `${HEAD}schema:\n  - name: orders\n    properties:\n${body}`
}

function caught(f: () => unknown): DvError {
  try {
    f()
  } catch (e) {
    return e as DvError
  }
  throw new Error('expected an error')
}

/** `file:line:column` of the first occurrence of `needle` in `text` (1-based). */
function where(text: string, needle: string, file = 'c.yaml'): string {
  const i = text.indexOf(needle)
  if (i < 0) throw new Error(`no ${needle}`)
  const before = text.slice(0, i).split('\n')
  return `${file}:${before.length}:${before.at(-1)!.length + 1}`
}

function compile(text: string) {
  return compileContract(parseContract(text, 'c.yaml'), 'orders', SCHEMA)
}

describe('a real ODCS example', () => {
  it("the standard's column-completeness example parses, validates and compiles for its table", () => {
    const text = readFileSync(join(import.meta.dirname, '../fixtures/odcs/column-completeness.odcs.yaml'), 'utf8')
    const parsed = parseContract(text, 'column-completeness.odcs.yaml')
    const compiled = compileContract(parsed, 'Air_Quality', { fields: [{ id: 1, name: 'UniqueID', type: 'long', required: false }] })
    expect(compiled.rules.map((r) => [r.name, r.kind])).toEqual([['UniqueID.required', 'row'], ['UniqueID.unique', 'unique'], ['UniqueID.nullValues', 'row']])
    expect(compiled.unsupported).toEqual([])
  })
})

describe('malformed contracts name file, line and column', () => {
  it('YAML that does not parse', () => {
    const text = `${HEAD}schema:\n  - name: orders\n    properties: [unclosed\n`
    const e = caught(() => parseContract(text, 'c.yaml'))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/^c\.yaml:\d+:\d+: the contract is not valid YAML/)
    expect(e.details).toMatchObject({ file: 'c.yaml' })
  })

  it('an unknown logicalType (the ODCS schema refuses it), at its value', () => {
    const text = contract('      - name: id\n        logicalType: integr\n')
    const e = caught(() => compile(text))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toContain(`${where(text, 'integr')}: not a valid ODCS v3.1.0 contract: 'schema.0.properties.0.logicalType' must be one of`)
  })

  it('an unknown quality type, and an unknown field, at their places', () => {
    const bad = contract('      - name: id\n        quality:\n          - type: magic\n            mustBe: 0\n')
    expect(caught(() => compile(bad)).message).toContain(where(bad, 'magic'))
    const extra = `${HEAD}colour: blue\nschema: []\n`
    expect(caught(() => parseContract(extra, 'c.yaml')).message).toBe(`${where(extra, 'colour')}: not a valid ODCS v3.1.0 contract: unknown field 'colour' in the contract`)
  })

  it('an unknown column, at its name', () => {
    const text = contract('      - name: id\n      - name: nope\n        logicalType: string\n')
    const e = caught(() => compile(text))
    expect(e.message).toBe(`${where(text, 'nope')}: table 'orders' has no column 'nope'`)
    expect(e.hint).toContain('id, email, amount, ts')
  })

  it('a logicalType that does not fit the column, at the logicalType', () => {
    const text = contract('      - name: email\n        logicalType: integer\n')
    expect(caught(() => compile(text)).message).toBe(`${where(text, 'integer')}: column 'email' is string in table 'orders', which is not logicalType 'integer'`)
  })

  it('a bad regular expression, at the pattern', () => {
    const text = contract('      - name: email\n        logicalType: string\n        logicalTypeOptions:\n          pattern: "([a-z"\n')
    const e = caught(() => compile(text))
    expect(e.message).toMatch(new RegExp(`^${where(text, '"([a-z"').replace(/\./g, '\\.')}: invalid regular expression`))
  })

  it('an option that does not apply to the column type, and a table the contract does not describe', () => {
    const text = contract('      - name: id\n        logicalType: integer\n        logicalTypeOptions:\n          pattern: "^[0-9]+$"\n')
    expect(caught(() => compile(text)).message).toBe(`${where(text, 'pattern')}: not a valid ODCS v3.1.0 contract: unknown field 'pattern' in 'schema.0.properties.0.logicalTypeOptions'`)
    const other = `${HEAD}schema:\n  - name: customers\n`
    expect(caught(() => compile(other)).message).toContain("the contract has no schema object named 'orders'")
  })

  it('mustBeBetween with the larger number first', () => {
    const text = contract('      - name: id\n        quality:\n          - metric: nullValues\n            mustBeBetween: [5, 1]\n')
    expect(caught(() => compile(text)).message).toContain('mustBeBetween takes the smaller number first')
  })
})

describe('compiling', () => {
  it('lists what dv does not enforce, with its place', () => {
    const text = contract([
      '      - name: email',
      '        logicalType: string',
      '        logicalTypeOptions:',
      '          format: hostname',
      '        quality:',
      '          - type: text',
      '            description: looks right',
      '          - type: custom',
      '            engine: soda',
      '            implementation: "checks for x"',
      '',
    ].join('\n'))
    expect(compile(text).unsupported.map((u) => [u.what.split(' (')[0], `c.yaml:${u.where.line}:${u.where.column}`])).toEqual([
      ["format 'hostname' of column 'email'", where(text, 'hostname')],
      ["text rule 'looks right'", where(text, 'type: text')],
      ["custom rule for engine 'soda'", where(text, 'type: custom')],
    ])
  })

  it('a count metric that allows no failing row is a row rule; other bounds and percent are table metrics', () => {
    const text = contract([
      '      - name: email',
      '        quality:',
      '          - metric: invalidValues',
      '            arguments: {validValues: [a, b]}',
      '            mustBeLessThan: 1',
      '          - metric: nullValues',
      '            mustBeLessThan: 5',
      '            unit: percent',
      '          - metric: duplicateValues',
      '            mustBe: 0',
      '          - metric: missingValues',
      '            arguments: {missingValues: [null, "", "n/a"]}',
      '            mustBeLessOrEqualTo: 3',
      '',
    ].join('\n'))
    expect(compile(text).rules.map((r) => [r.name, r.kind])).toEqual([
      ['email.invalidValues', 'row'], ['email.nullValues', 'metric'], ['email.duplicateValues', 'unique'], ['email.missingValues', 'metric'],
    ])
  })

  it('dv rules: freshness needs a timestamp column and a duration; volume a percent', () => {
    const fresh = `${HEAD}schema:\n  - name: orders\n    quality:\n      - type: custom\n        engine: dv\n        implementation: {rule: freshness, column: ts, maxAge: PT6H}\n      - type: custom\n        engine: dv\n        implementation: {rule: volume, maxChangePercent: 50}\n`
    expect(compile(fresh).rules).toMatchObject([{ kind: 'freshness', maxAgeMs: 6 * 3600_000 }, { kind: 'volume', maxChangePercent: 50 }])
    expect(caught(() => compile(fresh.replace('column: ts', 'column: email'))).message).toContain("freshness needs a timestamp column; 'email' is string")
    expect(caught(() => compile(fresh.replace('PT6H', 'soon'))).message).toContain('maxAge "soon" is not a duration')
  })
})

describe('a table\'s stored contract (contractOf)', () => {
  const table = (text: string): TableMetadata => ({ schema: SCHEMA, contract: { format: 'odcs', text } }) as unknown as TableMetadata

  it('compiles without validating again, and refuses a column the table lost since set', () => {
    const rules = contractOf('orders', table(contract('      - name: id\n        required: true\n'))).rules
    expect(rules.map((r) => r.name)).toEqual(['id.required'])
    const e = caught(() => contractOf('orders', table(contract('      - name: gone\n        required: true\n'))))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toMatch(/gone/)
  })

  it.each([
    ['schema: 5', "contract of table 't':6:9: not a valid ODCS v3.1.0 contract: 'schema' must be array"],
    ['schema:\n  - name: t\n    properties: 7', "contract of table 't':8:17: not a valid ODCS v3.1.0 contract: 'schema.0.properties' must be array"],
  ])('a text no dv stored (%s) gets the full parse\'s message with its line and column', (body, message) => {
    const e = caught(() => contractOf('t', table(`${HEAD}${body}\n`)))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toBe(message)
  })
})
