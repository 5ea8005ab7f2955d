/** The schema text form: parse, print, ids, errors with positions, JSON input; field paths and lookups. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  allFields,
  assignSchemaIds,
  fieldById,
  findField,
  formatFieldPath,
  leafFields,
  parseFieldPath,
  parseSchema,
  parseType,
  primitiveTypeOf,
  printSchema,
  sameType,
  type Schema,
} from '../../src/format/index.js'
import { encodeSchema } from '../../src/format/schema.js'
import { schema as schemaArb } from './arbitraries.js'

const EXAMPLE =
  'id long not null, ts timestamptz, tags list<string>, payload struct<user: struct<id: long not null, name: string>, n: int>, attrs map<string, double>, price decimal(10,2), raw fixed(16)'

function caught(f: () => unknown): { code: string; message: string } {
  try {
    f()
  } catch (e) {
    return e as { code: string; message: string }
  }
  throw new Error('expected an error')
}

describe('parseSchema', () => {
  it('parses the example and prints it back unchanged', () => {
    expect(printSchema(parseSchema(EXAMPLE))).toBe(EXAMPLE)
  })

  it("assigns ids in Iceberg's order: a struct's fields first, then the inside of each", () => {
    const s = parseSchema(EXAMPLE)
    expect(leafFields(s).map((f) => `${formatFieldPath(f.path)}=${f.id}`)).toEqual([
      'id=1', 'ts=2', 'tags.element=8', 'payload.user.id=11', 'payload.user.name=12', 'payload.n=10', 'attrs.key=13', 'attrs.value=14', 'price=6', 'raw=7',
    ])
    expect(findField(s, 'payload.user')?.id).toBe(9)
  })

  it('numbers the example of format-spec/table-metadata.md#field-ids as written there', () => {
    const s = parseSchema('id long, tags list<string>, payload struct<user: struct<id: long>, n: int>')
    expect(['id', 'tags', 'payload', 'tags.element', 'payload.user', 'payload.n', 'payload.user.id'].map((p) => findField(s, p)?.id)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('is lenient in spelling and canonical in print', () => {
    const loose = '  ID   LONG  NOT   NULL ,`a.b` : Struct< X : Int , "y z" List< String Not Null > >,m MAP<STRING NOT NULL,Decimal( 5 , 2 ) NOT NULL>'
    expect(printSchema(parseSchema(loose))).toBe('ID long not null, `a.b` struct<X: int, `y z`: list<string not null>>, m map<string, decimal(5,2) not null>')
  })

  it('print(parse(print(s))) == print(s) and ids follow, for random schemas nested to depth 3', () => {
    fc.assert(
      fc.property(schemaArb, (s) => {
        const text = printSchema(s)
        const parsed = parseSchema(text)
        expect(printSchema(parsed)).toBe(text)
        expect(parsed).toEqual(assignSchemaIds(s).schema)
      }),
      { numRuns: 300 },
    )
  })

  it('accepts the JSON form (ids checked, then replaced) and Iceberg struct JSON', () => {
    const s = parseSchema(EXAMPLE)
    const renumbered = assignSchemaIds(s, 100).schema
    expect(parseSchema(JSON.stringify(encodeSchema(renumbered)))).toEqual(s)
    expect(parseSchema(JSON.stringify({ type: 'struct', ...encodeSchema(renumbered) }))).toEqual(s)
  })

  it.each([
    ['id long,', 9, 'expected a column name, found the end'],
    ['x struct<a int', 15, "expected '>', found the end"],
    ['x list<int>>', 12, "expected ',' or the end, found '>'"],
    ['x struct<>', 3, 'a struct needs at least one field'],
    ['x decimal(40,2)', 3, 'precision must be 1 to 38'],
    ['x fixed(0)', 3, 'the length must be 1 to 2147483647'],
    ['a int, A long', 8, 'duplicate name A (same as a but for case)'],
    ['s struct<a: int, a: int>', 18, 'duplicate name a'],
    ['x foo', 3, "unknown type 'foo' for x"],
    ['x int not', 10, "expected 'null' after 'not'"],
    ['x int null', 7, "expected ',' or the end, found 'null'"],
    ['x map<int>', 10, "expected ',', found '>'"],
    ['`x int', 1, 'unterminated quoted name'],
    ['x$ int', 2, 'unexpected character "$"'],
    ['', 1, 'expected a column name, found the end'],
  ])('%j is INVALID_ARGUMENT at column %i', (text, column, problem) => {
    const e = caught(() => parseSchema(text))
    expect(e.code).toBe('INVALID_ARGUMENT')
    expect(e.message).toBe(`invalid schema at column ${column}: ${e.message.slice(`invalid schema at column ${column}: `.length)}`)
    expect(e.message).toContain(problem)
  })

  it.each(['geometry', 'geography', 'variant'])('planned type %s is UNSUPPORTED naming the column', (type) => {
    expect(caught(() => parseSchema(`shape ${type}`))).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining(`column shape has type ${type}`) })
  })

  it.each([
    ['{"fields":[{"id":1,"name":"a","required":false,"type":"int"},{"id":1,"name":"b","required":false,"type":"int"}]}', 'at $.fields[1].id: duplicate field id 1'],
    ['{"fields":[{"id":1,"name":"a","required":false,"type":"int"},{"id":2,"name":"A","required":false,"type":"int"}]}', 'differ only in case'],
    ['{"fields":[{"id":1,"name":"a","required":false,"type":"integer"}]}', 'unknown type "integer"'],
    ['{"fields":[', 'invalid schema JSON'],
  ])('bad JSON schema %s is INVALID_ARGUMENT', (text, message) => {
    expect(caught(() => parseSchema(text))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(message) })
  })

  it('sameType compares nested types by value, ids and required flags included', () => {
    expect(sameType(parseType('map<string, list<int>>'), parseType('map<string, list<int>>'))).toBe(true)
    expect(sameType(parseType('list<int not null>'), parseType('list<int>'))).toBe(false)
    expect(sameType(parseSchema('s struct<a: int>').fields[0]!.type, assignSchemaIds(parseSchema('s struct<a: int>'), 5).schema.fields[0]!.type)).toBe(false)
  })

  it('parseType parses one type with fresh ids', () => {
    expect(parseType('list<struct<a: int not null>>')).toEqual({
      type: 'list', elementId: 1, elementRequired: false, element: { type: 'struct', fields: [{ id: 2, name: 'a', type: 'int', required: true }] },
    })
  })
})

describe('field paths and lookups', () => {
  const s: Schema = parseSchema('id long, `a.b` struct<c: int>, payload struct<user: struct<id: long>>, tags list<struct<sku: string>>, attrs map<string, int>')

  it('parseFieldPath splits on dots outside quotes', () => {
    expect(parseFieldPath('payload.user.id')).toEqual(['payload', 'user', 'id'])
    expect(parseFieldPath('`a.b`.c')).toEqual(['a.b', 'c'])
    expect(parseFieldPath('"a.b".c')).toEqual(['a.b', 'c'])
    expect(parseFieldPath('`x``y`')).toEqual(['x`y'])
    expect(caught(() => parseFieldPath('a..b'))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('at column 3: expected a name') })
    expect(caught(() => parseFieldPath('`a'))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('expected closing `') })
  })

  it('findField resolves dotted paths, quoted names, elements, keys and values; case-insensitively when unambiguous', () => {
    expect(findField(s, 'payload.user.id')?.type).toBe('long')
    expect(findField(s, '`a.b`.c')?.type).toBe('int')
    expect(findField(s, 'a.b.c')).toBeUndefined()
    expect(findField(s, 'tags.element.sku')).toMatchObject({ type: 'string', repeated: true, role: 'field' })
    expect(findField(s, 'attrs.key')).toMatchObject({ type: 'string', required: true, role: 'key', repeated: true })
    expect(findField(s, 'PAYLOAD.User.ID')?.id).toBe(findField(s, 'payload.user.id')?.id)
    const twins: Schema = { fields: [{ id: 1, name: 'a', type: 'int', required: false }, { id: 2, name: 'A', type: 'int', required: false }] }
    expect(findField(twins, 'A')?.id).toBe(2)
    expect(findField(twins, 'a')?.id).toBe(1)
    expect(findField(twins, 'ª')).toBeUndefined()
  })

  it('fieldById and allFields reach every depth; ids are unique', () => {
    const ids = allFields(s).map((f) => f.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const f of allFields(s)) expect(fieldById(s, f.id)?.path).toEqual(f.path)
  })

  it('primitiveTypeOf passes primitives and refuses nested columns as UNSUPPORTED naming them', () => {
    expect(primitiveTypeOf(s.fields[0]!)).toBe('long')
    expect(caught(() => primitiveTypeOf(s.fields[2]!, 'scan'))).toMatchObject({
      code: 'UNSUPPORTED',
      message: "column 'payload' has type struct<user: struct<id: long>>; this version of dv cannot scan nested columns yet",
    })
  })
})
