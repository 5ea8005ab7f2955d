/** Schema evolution by field id: every promotion cell, every refusal, adds/renames/drops at depth, and union for appends. */
import { describe, expect, it } from 'vitest'
import {
  addColumn,
  canPromote,
  canWidenOnWrite,
  dropColumn,
  findField,
  makeOptional,
  parseSchema,
  parseType,
  printSchema,
  promoteColumn,
  renameColumn,
  unionSchema,
  type PartitionField,
  type PrimitiveType,
  type TableSchema,
} from '../../src/format/index.js'

const table = (text: string): TableSchema => {
  const schema = parseSchema(text)
  return { schema, lastColumnId: 100 }
}
const BASE = table('id long not null, d date, n int, f float, amount decimal(10,2), payload struct<user: struct<id: long, name: string>, n: int>, tags list<int>, attrs map<int, float>')
const SPEC: PartitionField[] = [{ sourceId: findField(BASE.schema, 'd')!.id, fieldId: 1000, name: 'd', transform: 'identity' }]

function caught(f: () => unknown): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
  try {
    f()
  } catch (e) {
    return e as { code: string; message: string }
  }
  throw new Error('expected an error')
}

const PRIMITIVES: PrimitiveType[] = [
  'boolean', 'int', 'long', 'float', 'double', 'string', 'binary', 'date', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'uuid',
  'decimal(9,2)', 'decimal(10,2)', 'decimal(10,3)', 'fixed(4)', 'fixed(8)',
]
const ALLOWED = new Set(['int->long', 'float->double', 'decimal(9,2)->decimal(10,2)', 'date->timestamp', 'date->timestamp_ns'])

describe('canPromote, cell by cell', () => {
  const cells = PRIMITIVES.flatMap((from) => PRIMITIVES.filter((to) => to !== from).map((to): [string, string, boolean] => [from, to, ALLOWED.has(`${from}->${to}`)]))
  it.each(cells)('%s -> %s: %s', (from, to, allowed) => {
    expect(canPromote(from as PrimitiveType, to as PrimitiveType)).toBe(allowed)
  })

  it('write-time widening adds int/long -> double to the promotions, and is reflexive', () => {
    expect(canWidenOnWrite('int', 'double')).toBe(true)
    expect(canWidenOnWrite('long', 'double')).toBe(true)
    expect(canWidenOnWrite('uuid', 'uuid')).toBe(true)
    expect(canWidenOnWrite('long', 'int')).toBe(false)
    expect(canWidenOnWrite('double', 'float')).toBe(false)
  })
})

describe('promoteColumn', () => {
  it.each([
    ['n', 'long', 'n long'],
    ['f', 'double', 'f double'],
    ['amount', 'decimal(12,2)', 'amount decimal(12,2)'],
    ['d', 'timestamp', 'd timestamp'],
    ['d', 'timestamp_ns', 'd timestamp_ns'],
    ['payload.n', 'long', 'n: long'],
    ['tags.element', 'long', 'tags list<long>'],
    ['attrs.value', 'double', 'attrs map<int, double>'],
  ])('%s -> %s keeps the id', (path, to, printed) => {
    const next = promoteColumn(BASE, path, to as PrimitiveType)
    expect(printSchema(next.schema)).toContain(printed)
    expect(findField(next.schema, path)?.id).toBe(findField(BASE.schema, path)?.id)
    expect(next.lastColumnId).toBe(BASE.lastColumnId)
  })

  it.each([
    ['n', 'string', 'cannot change n from int to string'],
    ['id', 'int', 'cannot change id from long to int'],
    ['amount', 'decimal(12,3)', 'cannot change amount from decimal(10,2) to decimal(12,3)'],
    ['amount', 'decimal(9,2)', 'cannot change amount from decimal(10,2) to decimal(9,2)'],
    ['d', 'timestamptz', 'cannot change d from date to timestamptz'],
    ['payload', 'long', 'cannot change payload from struct<user: struct<id: long, name: string>, n: int> to long'],
    ['attrs.key', 'long', 'map keys cannot change type'],
    ['nope', 'long', 'no column nope'],
  ])('%s -> %s is refused', (path, to, message) => {
    const e = caught(() => promoteColumn(BASE, path, to as PrimitiveType))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toContain(message)
    expect(e.hint).toBeTruthy()
  })

  it('refuses date -> timestamp on an identity partition source', () => {
    expect(caught(() => promoteColumn(BASE, 'd', 'timestamp', SPEC)).message).toContain('partition field d holds its dates')
  })
})

describe('addColumn', () => {
  it('adds nullable columns at any depth with fresh ids after lastColumnId', () => {
    let t = addColumn(BASE, 'email', 'string')
    expect(findField(t.schema, 'email')).toMatchObject({ id: 101, required: false })
    t = addColumn(t, 'payload.user.email', 'string')
    expect(findField(t.schema, 'payload.user.email')?.id).toBe(102)
    t = addColumn(t, 'items', parseType('list<struct<sku: string, qty: int>>'))
    expect(['items', 'items.element', 'items.element.sku', 'items.element.qty'].map((p) => findField(t.schema, p)?.id)).toEqual([103, 104, 105, 106])
    t = addColumn(t, 'items.element.price', 'decimal(10,2)')
    expect(findField(t.schema, 'items.element.price')?.id).toBe(107)
    expect(t.lastColumnId).toBe(107)
  })

  it.each([
    ['ID', 'long', {}, 'column ID already exists as id'],
    ['payload.n', 'int', {}, 'column payload.n already exists'],
    ['n.x', 'int', {}, 'n is int, not a struct'],
    ['tags.x', 'int', {}, 'tags is list<int>, not a struct'],
    ['nope.x', 'int', {}, 'there is no struct nope'],
    ['r', 'int', { required: true }, 'cannot add required column r int to a table that has rows'],
  ])('%s %s %j is refused', (path, type, options, message) => {
    const e = caught(() => addColumn(BASE, path, type as PrimitiveType, options))
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(message) })
  })

  it('adds a required column to an empty table', () => {
    expect(findField(addColumn(BASE, 'r', 'int', { required: true, tableIsEmpty: true }).schema, 'r')?.required).toBe(true)
  })
})

describe('renameColumn and dropColumn', () => {
  it('rename keeps ids at any depth, and may change only case', () => {
    const id = findField(BASE.schema, 'payload.user.name')!.id
    const t = renameColumn(BASE, 'payload.user.name', 'full_name')
    expect(findField(t.schema, 'payload.user.full_name')?.id).toBe(id)
    expect(findField(renameColumn(BASE, 'n', 'N').schema, 'N')?.id).toBe(findField(BASE.schema, 'n')!.id)
  })

  it.each([
    ['n', 'F', 'column F already exists as f'],
    ['payload.n', 'user', 'column payload.user already exists'],
    ['tags.element', 'x', 'a list element or map element has no name'],
    ['n', '', 'must not be empty'],
  ])('rename %s to %j is refused', (path, name, message) => {
    expect(caught(() => renameColumn(BASE, path, name))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(message) })
  })

  it('drop removes a struct with its children; ids stay retired', () => {
    const t = dropColumn(BASE, 'payload', [])
    expect(findField(t.schema, 'payload.user.id')).toBeUndefined()
    expect(t.lastColumnId).toBe(BASE.lastColumnId)
    expect(printSchema(dropColumn(BASE, 'payload.user.name', []).schema)).toContain('payload struct<user: struct<id: long>, n: int>')
  })

  it.each([
    ['d', SPEC, 'partition field d is computed from it'],
    ['tags.element', [], 'cannot be dropped on its own'],
    ['payload.user.id', [], undefined],
  ])('drop %s is refused', (path, spec, message) => {
    const t = path === 'payload.user.id' ? dropColumn(BASE, 'payload.user.name', []) : BASE
    const e = caught(() => dropColumn(t, path, spec as PartitionField[]))
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(message ?? 'only field of struct payload.user') })
  })

  it('makeOptional relaxes required columns, never map keys', () => {
    expect(findField(makeOptional(BASE, 'id').schema, 'id')?.required).toBe(false)
    expect(caught(() => makeOptional(BASE, 'attrs.key')).message).toContain('map keys are always required')
  })
})

describe('unionSchema', () => {
  it('adds new columns as nullable at any depth, keeps ids and table types, accepts narrower input', () => {
    const input = parseSchema('ID long, n int, f float, extra string not null, payload struct<user: struct<id: int, email: string>, z: int>, tags list<int>')
    const t = unionSchema(BASE, input)
    expect(printSchema(t.schema)).toBe(
      'id long not null, d date, n int, f float, amount decimal(10,2), payload struct<user: struct<id: long, name: string, email: string>, n: int, z: int>, tags list<int>, attrs map<int, float>, extra string',
    )
    // ids follow the input's order, depth first
    expect(findField(t.schema, 'extra')?.id).toBe(101)
    expect(findField(t.schema, 'payload.user.email')?.id).toBe(102)
    expect(findField(t.schema, 'payload.z')?.id).toBe(103)
    expect(t.lastColumnId).toBe(103)
  })

  it.each([
    ['id string', 'column id is string in the input but long in the table'],
    ['id long, n long', 'column n is long in the input but int in the table'],
    ['id long, payload struct<user: struct<id: string>>', 'column payload.user.id is string in the input but long in the table'],
    ['id long, payload int', 'column payload is int in the input but struct<user: struct<id: long, name: string>, n: int> in the table'],
    ['id long, tags list<string>', 'column tags.element is string in the input but int in the table'],
    ['id long, attrs map<long, float>', 'column attrs.key is long in the input but int in the table'],
    ['id long, tags map<int, int>', 'column tags is map<int, int> in the input but list<int> in the table'],
    ['n int', 'lacks column id, which the table requires'],
  ])('%s is refused', (text, message) => {
    const e = caught(() => unionSchema(BASE, parseSchema(text)))
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(message), hint: expect.any(String) })
  })

  it('refuses input names that differ only in case', () => {
    const input = { fields: [{ id: 1, name: 'a', type: 'int' as const, required: false }, { id: 2, name: 'A', type: 'int' as const, required: false }] }
    expect(caught(() => unionSchema(BASE, input, 'data.csv')).message).toContain('data.csv has two columns named A and a')
  })

  it('refuses a missing required nested field when its struct is present', () => {
    const t = table('s struct<a: int not null, b: int>')
    expect(caught(() => unionSchema(t, parseSchema('s struct<b: int>'))).message).toContain('lacks column s.a')
    expect(unionSchema(t, parseSchema('x int')).schema.fields.map((f) => f.name)).toEqual(['s', 'x'])
  })
})
