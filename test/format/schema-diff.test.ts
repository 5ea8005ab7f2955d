/** schemaDiff: changes by field id at every depth, built with the evolution functions dv itself uses. */
import { describe, expect, it } from 'vitest'
import { addColumn, dropColumn, makeOptional, maxFieldId, parseSchema, promoteColumn, renameColumn, schemaDiff, type TableSchema } from '../../src/format/index.js'
import type { Schema } from '../../src/format/types.js'

function table(text: string): TableSchema {
  const schema = parseSchema(text)
  return { schema, lastColumnId: maxFieldId(schema) }
}

const base = table('id long not null, tags list<int>, payload struct<user: struct<id: int, name: string>, n: float>, attrs map<string, decimal(9,2)>')

describe('schemaDiff', () => {
  it('is empty for the same schema', () => {
    expect(schemaDiff(base.schema, base.schema)).toEqual([])
  })

  it('reports add, drop, rename and widen inside structs by field id', () => {
    let t = renameColumn(base, 'payload.user.name', 'full_name')
    t = promoteColumn(t, 'payload.user.id', 'long')
    t = dropColumn(t, 'payload.n', [])
    t = addColumn(t, 'payload.user.email', 'string')
    const ids = Object.fromEntries(['payload.user.id', 'payload.user.name', 'payload.n'].map((p) => [p, idOf(base.schema, p)]))
    expect(schemaDiff(base.schema, t.schema)).toEqual([
      { change: 'widened', id: ids['payload.user.id'], path: 'payload.user.id', from: 'int', to: 'long' },
      { change: 'renamed', id: ids['payload.user.name'], path: 'payload.user.full_name', from: 'payload.user.name', to: 'payload.user.full_name' },
      { change: 'added', id: base.lastColumnId + 1, path: 'payload.user.email', type: 'string', required: false },
      { change: 'dropped', id: ids['payload.n'], path: 'payload.n', type: 'float' },
    ])
  })

  it('reports a renamed parent once, not its children, and an added struct once, not its fields', () => {
    let t = renameColumn(base, 'payload', 'body')
    t = addColumn(t, 'geo', parseSchema('g struct<lat: double, lon: double>').fields[0].type)
    const changes = schemaDiff(base.schema, t.schema)
    expect(changes.map((c) => [c.change, c.path])).toEqual([['renamed', 'body'], ['added', 'geo']])
  })

  it('reports widened list elements and map values, and required flags', () => {
    let t = promoteColumn(base, 'tags.element', 'long')
    t = promoteColumn(t, 'attrs.value', 'decimal(12,2)')
    t = makeOptional(t, 'id')
    expect(schemaDiff(base.schema, t.schema).map((c) => [c.change, c.path])).toEqual([
      ['made-optional', 'id'], ['widened', 'tags.element'], ['widened', 'attrs.value'],
    ])
  })

  it('reports a dropped struct once, and a type no promotion allows as type-changed', () => {
    const t = dropColumn(base, 'payload', [])
    expect(schemaDiff(base.schema, t.schema).map((c) => [c.change, c.path])).toEqual([['dropped', 'payload']])
    const other: Schema = { fields: [{ ...base.schema.fields[0], type: 'string' }, ...base.schema.fields.slice(1)] }
    expect(schemaDiff(base.schema, other)).toEqual([{ change: 'type-changed', id: 1, path: 'id', from: 'long', to: 'string' }])
  })
})

function idOf(schema: Schema, path: string): number {
  const parts = path.split('.')
  let fields = schema.fields
  let id = 0
  for (const p of parts) {
    const f = fields.find((x) => x.name === p)!
    id = f.id
    fields = typeof f.type === 'object' && f.type.type === 'struct' ? f.type.fields : []
  }
  return id
}
