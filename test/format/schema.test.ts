/** Partition specs from the command line, partition bounds, and writers refusing invalid objects. */
import { describe, expect, it } from 'vitest'
import type { ObjectId } from '../../src/ids.js'
import {
  formatPartitionBy,
  parsePartitionBy,
  serializeSnapshot,
  serializeTableMetadata,
  summarizePartitions,
  type DataFile,
  type Schema,
  type TableMetadata,
} from '../../src/format/index.js'

const schema: Schema = {
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'country', type: 'string', required: false },
    { id: 3, name: 'ts', type: 'timestamptz', required: false },
    { id: 4, name: 'd', type: 'date', required: false },
    { id: 5, name: 'score', type: 'double', required: false },
  ],
}
const ID = 'a'.repeat(64) as ObjectId

describe('parsePartitionBy', () => {
  it('parses identity and calendar transforms with ids from 1000', () => {
    expect(parsePartitionBy('country, month(ts)', schema)).toEqual([
      { sourceId: 2, fieldId: 1000, name: 'country', transform: 'identity' },
      { sourceId: 3, fieldId: 1001, name: 'ts_month', transform: 'month' },
    ])
    expect(parsePartitionBy('day(ts)', schema)).toEqual([{ sourceId: 3, fieldId: 1000, name: 'ts_day', transform: 'day' }])
    expect(parsePartitionBy('YEAR( d )', schema)).toEqual([{ sourceId: 4, fieldId: 1000, name: 'd_year', transform: 'year' }])
    expect(formatPartitionBy(parsePartitionBy('country,day(ts)', schema), schema)).toBe('country,day(ts)')
  })

  it.each([
    ['day(nope)', /unknown column "nope"/],
    ['nope', /unknown column "nope"/],
    ['hour(ts)', /unknown transform hour/],
    ['day(country)', /country is string/],
    ['score', /not float or double/],
    ['country,country', /appears twice/],
    ['country,', /is empty/],
  ])('%s is INVALID_ARGUMENT naming the problem and listing columns', (text, message) => {
    let error: unknown
    try {
      parsePartitionBy(text, schema)
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message, hint: expect.stringContaining('id (long), country (string), ts (timestamptz)') })
  })
})

describe('summarizePartitions', () => {
  const file = (partition: Record<string, string | null>): DataFile => ({ id: ID, format: 'parquet', rows: 1, bytes: 1, partition, columns: {} })

  it('orders by the partition type, not as text', () => {
    const spec = parsePartitionBy('id,month(ts)', schema)
    const files = [file({ 1000: '9', 1001: '2026-01' }), file({ 1000: '10', 1001: '2025-12' }), file({ 1000: '-3', 1001: null })]
    expect(summarizePartitions(spec, files, schema)).toEqual({
      '1000': { lower: '-3', upper: '10', containsNull: false },
      '1001': { lower: '2025-12', upper: '2026-01', containsNull: true },
    })
    expect(summarizePartitions(spec, [], schema)['1000']).toEqual({ lower: null, upper: null, containsNull: false })
  })

  it('refuses values that are not canonical for the partition type', () => {
    const spec = parsePartitionBy('day(ts)', schema)
    expect(() => summarizePartitions(spec, [file({ 1000: '2026-01-02T00:00:00Z' })], schema)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('ts_day') }),
    )
  })
})

describe('writers refuse invalid objects', () => {
  const table: TableMetadata = {
    tableId: '0b9d4f57-8e2a-4c61-a3f0-7d25e6b18c90',
    schema,
    lastColumnId: 5,
    partitionSpec: [],
    manifests: [],
    properties: {},
  }

  it('table metadata: INVALID_ARGUMENT with the path', () => {
    expect(() => serializeTableMetadata({ ...table, lastColumnId: 3 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('$.last-column-id') }),
    )
    const duplicate = { fields: [...schema.fields, { id: 6, name: 'id', type: 'long' as const, required: false }] }
    expect(() => serializeTableMetadata({ ...table, schema: duplicate, lastColumnId: 6 })).toThrow(/\$\.schema\.fields\[5\]\.name: duplicate field name "id"/)
  })

  it('snapshot: floats and unsafe integers never reach the bytes', () => {
    const snapshot = { parents: [], timestampMs: 1.5, author: 'a', message: 'm', tables: {}, summary: {} }
    expect(() => serializeSnapshot(snapshot)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('$.timestamp-ms') }))
    expect(() => serializeSnapshot({ ...snapshot, timestampMs: 2 ** 53 })).toThrow(/timestamp-ms/)
  })

  it('a table named __proto__ stays an ordinary key', () => {
    const tables = Object.fromEntries([['__proto__', ID]])
    const bytes = serializeSnapshot({ parents: [], timestampMs: 1, author: '', message: '', tables, summary: {} })
    expect(new TextDecoder().decode(bytes)).toContain(`"tables":{"__proto__":"${ID}"}`)
  })
})
