/** Which kind a table is written as, how a v1-only reader meets a v2 table, and partition specs over nested schemas. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkKind } from '../../src/format/json-fields.js'
import {
  allFields,
  dropColumn,
  formatPartitionBy,
  makeOptional,
  renameColumn,
  isV2Type,
  parsePartitionBy,
  parseSchema,
  parseTableMetadata,
  serializeTableMetadata,
  type TableMetadata,
} from '../../src/format/index.js'
import { tableMetadata } from './arbitraries.js'

const kindOf = (bytes: Uint8Array): string => (JSON.parse(new TextDecoder().decode(bytes)) as { kind: string }).kind
const TABLE_ID = '3c8e2f71-5a94-4b0d-8e6f-1d7a9b2c4e60'

function caught(f: () => unknown): { code: string; message: string } {
  try {
    f()
  } catch (e) {
    return e as { code: string; message: string }
  }
  throw new Error('expected an error')
}

describe('table kind', () => {
  it('is dv:table:v2 exactly when some field at some depth has a v2 type', () => {
    fc.assert(
      fc.property(tableMetadata, (t) => {
        const needsV2 = allFields(t.schema).some((f) => isV2Type(f.type))
        expect(kindOf(serializeTableMetadata(t))).toBe(needsV2 ? 'dv:table:v2' : 'dv:table:v1')
      }),
    )
  })

  it('returns to v1 when the last v2 column is dropped', () => {
    const schema = parseSchema('id long, device uuid')
    const t: TableMetadata = { tableId: TABLE_ID, schema, lastColumnId: 2, partitionSpec: [], manifests: [], properties: {} }
    expect(kindOf(serializeTableMetadata(t))).toBe('dv:table:v2')
    const dropped = dropColumn(t, 'device', [])
    const bytes = serializeTableMetadata({ ...t, ...dropped })
    expect(kindOf(bytes)).toBe('dv:table:v1')
    expect(parseTableMetadata(bytes).lastColumnId).toBe(2)
  })

  it('a reader that knows only dv:table:v1 refuses a v2 table as UNSUPPORTED, asking to upgrade', () => {
    const t: TableMetadata = { tableId: TABLE_ID, schema: parseSchema('tags list<string>'), lastColumnId: 2, partitionSpec: [], manifests: [], properties: {} }
    const json = JSON.parse(new TextDecoder().decode(serializeTableMetadata(t))) as unknown
    expect(caught(() => checkKind(json, 'dv:table:v1', 'table events'))).toMatchObject({
      code: 'UNSUPPORTED',
      message: "table events has kind 'dv:table:v2', which this version of dv cannot read (it reads 'dv:table:v1')",
    })
  })
})

describe('primary key (identifier-field-ids)', () => {
  const keyed: TableMetadata = {
    tableId: TABLE_ID, schema: parseSchema('id long not null, tags list<string>, name string'), lastColumnId: 4,
    partitionSpec: [], manifests: [], properties: {}, identifierFieldIds: [1],
  }

  it('makes the table dv:table:v3 whatever its types, and round-trips', () => {
    expect(kindOf(serializeTableMetadata(keyed))).toBe('dv:table:v3')
    expect(parseTableMetadata(serializeTableMetadata(keyed))).toEqual(keyed)
    const plain = { ...keyed, schema: parseSchema('id long not null, name string'), lastColumnId: 2 }
    expect(kindOf(serializeTableMetadata(plain))).toBe('dv:table:v3')
    const { identifierFieldIds: _, ...unkeyed } = plain
    expect(kindOf(serializeTableMetadata(unkeyed))).toBe('dv:table:v1')
  })

  it('a reader that knows only v1 and v2 refuses a keyed table as UNSUPPORTED', () => {
    const json = JSON.parse(new TextDecoder().decode(serializeTableMetadata(keyed))) as unknown
    expect(caught(() => checkKind(json, ['dv:table:v1', 'dv:table:v2'], 'table users'))).toMatchObject({ code: 'UNSUPPORTED' })
  })

  it('survives a rename of the key column (it is kept by field id); dropping it or making it optional cannot be written', () => {
    const renamed = { ...keyed, ...renameColumn(keyed, 'id', 'user_id') }
    expect(parseTableMetadata(serializeTableMetadata(renamed)).identifierFieldIds).toEqual([1])
    expect(caught(() => serializeTableMetadata({ ...keyed, ...dropColumn(keyed, 'id', []) }))).toMatchObject({
      code: 'INVALID_ARGUMENT', message: expect.stringContaining('field id 1 is not a top-level column'),
    })
    expect(caught(() => serializeTableMetadata({ ...keyed, ...makeOptional(keyed, 'id') }))).toMatchObject({
      code: 'INVALID_ARGUMENT', message: expect.stringContaining('a key column must be required'),
    })
    expect(caught(() => serializeTableMetadata({ ...keyed, identifierFieldIds: [2] }))).toMatchObject({ message: expect.stringContaining('must be primitive') })
  })
})

describe('partition specs over nested schemas', () => {
  const schema = parseSchema('id long, event struct<ts timestamptz_ns, device uuid, at time>, tags list<struct<d: date>>, m map<string, date>')

  it('accepts primitive fields inside structs, by dotted path, and prints them back', () => {
    const spec = parsePartitionBy('day(event.ts),event.device,event.at', schema)
    expect(spec.map((p) => [p.name, p.transform])).toEqual([['event.ts_day', 'day'], ['event.device', 'identity'], ['event.at', 'identity']])
    expect(formatPartitionBy(spec, schema)).toBe('day(event.ts),event.device,event.at')
    const t: TableMetadata = { tableId: TABLE_ID, schema, lastColumnId: 11, partitionSpec: spec, manifests: [], properties: {} }
    expect(parseTableMetadata(serializeTableMetadata(t))).toEqual(t)
  })

  it.each([
    ['event', 'a nested column cannot be a partition source'],
    ['day(tags.element.d)', 'inside a list or map'],
    ['m.value', 'inside a list or map'],
    ['day(event.at)', 'needs a date, timestamp, timestamptz, timestamp_ns or timestamptz_ns column, but event.at is time'],
  ])('%s is refused', (text, message) => {
    expect(caught(() => parsePartitionBy(text, schema))).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(message) })
  })
})
