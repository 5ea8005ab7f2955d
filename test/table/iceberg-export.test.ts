/**
 * The pure parts of the Iceberg export, without an engine: Appendix D bound
 * bytes and partition values against hand-computed Iceberg forms, the type
 * check, the name mapping's rule for reused names, and Avro files whose header
 * keeps the schema (with its field ids) as written and which decode back.
 */
import avro from 'avsc'
import { describe, expect, it } from 'vitest'
import { decodeManifestList, encodeAvro, MANIFEST_FILE_SCHEMA, type ManifestFileRecord } from '../../src/table/iceberg/avro.js'
import { avroName } from '../../src/table/iceberg/manifest.js'
import { checkIcebergV2, icebergType, nameMapping } from '../../src/table/iceberg/schema.js'
import { boundBytes, decimalFixedSize, partitionAvroValue, twosComplement } from '../../src/table/iceberg/values.js'
import type { Schema } from '../../src/format/types.js'

const hex = (b: Buffer | undefined) => b?.toString('hex')

describe('Iceberg single-value serialization (Appendix D)', () => {
  it.each([
    ['boolean', 'true', '01'],
    ['int', '-2', 'feffffff'],
    ['long', '9007199254740993', '0100000000002000'],
    ['date', '1970-01-02', '01000000'],
    ['timestamptz', '1970-01-01T00:00:01.000002Z', '42420f0000000000'],
    ['timestamp', '1969-12-31T23:59:59.999999', 'ffffffffffffffff'],
    ['time', '00:00:01.000000', '40420f0000000000'],
    ['float', '1.5', '0000c03f'],
    ['double', '-0', '0000000000000080'],
    ['string', 'zoë', '7a6fc3ab'],
    ['binary', '00ff', '00ff'],
    ['uuid', '5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41', '5d1e8f3a92b44c7ea1d60f2b9c8e7a41'],
    ['decimal(10,2)', '-0.50', 'ce'],
    ['decimal(10,2)', '1.28', '0080'],
    ['fixed(2)', 'abcd', 'abcd'],
  ] as const)('%s %s -> %s', (type, text, bytes) => {
    expect(hex(boundBytes(type, text))).toBe(bytes)
  })

  it('widens a date statistic of a column promoted to timestamp to midnight', () => {
    expect(hex(boundBytes('timestamp', '1970-01-02'))).toBe(hex(boundBytes('timestamp', '1970-01-02T00:00:00.000000')))
  })

  it('writes decimals in the fewest two\'s-complement bytes, and partitions in the fixed size of the precision', () => {
    expect(hex(twosComplement(127n))).toBe('7f')
    expect(hex(twosComplement(128n))).toBe('0080')
    expect(hex(twosComplement(-129n))).toBe('ff7f')
    expect([1, 2, 3, 9, 10, 18, 19, 38].map(decimalFixedSize)).toEqual([1, 1, 2, 4, 5, 8, 9, 16])
    expect(hex(partitionAvroValue('identity', 'decimal(10,2)', '-0.50') as Buffer)).toBe('ffffffffce')
  })

  it('gives day, month and year partitions as Iceberg\'s transform results', () => {
    expect(partitionAvroValue('day', 'timestamptz', '2026-01-02')).toBe(20455)
    expect(partitionAvroValue('month', 'date', '1969-12')).toBe(-1)
    expect(partitionAvroValue('year', 'timestamp', '2026')).toBe(56)
    expect(partitionAvroValue('identity', 'long', '9007199254740993')).toBe(9007199254740993n)
    expect(partitionAvroValue('identity', 'string', null)).toBe(null)
  })

  it('makes partition names Avro names as Iceberg\'s Java writer does', () => {
    expect(avroName('event.ts_day')).toBe('event_x2Ets_day')
    expect(avroName('1st')).toBe('_1st')
  })
})

describe('Iceberg schemas', () => {
  const schema: Schema = {
    fields: [
      { id: 1, name: 'a', type: 'fixed(16)', required: true },
      { id: 2, name: 'p', required: false, type: { type: 'struct', fields: [{ id: 4, name: 'ts', type: 'timestamptz_ns', required: false }] } },
      { id: 3, name: 'b', type: 'decimal(9,2)', required: false },
    ],
  }

  it('spells fixed and decimal types as Iceberg does', () => {
    expect(icebergType('fixed(16)')).toBe('fixed[16]')
    expect(icebergType('decimal(9,2)')).toBe('decimal(9, 2)')
  })

  it('refuses a nanosecond timestamp at any depth as UNSUPPORTED, naming the column and Iceberg v3', () => {
    expect(() => checkIcebergV2(schema, 't', '')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringContaining("column 'p.ts'") as unknown, hint: expect.stringContaining('Iceberg v3') as unknown }))
    expect(() => checkIcebergV2({ fields: [schema.fields[0], schema.fields[2]] }, 't', '')).not.toThrow()
  })

  it('maps old physical names to their field, except a name a sibling has now or that two fields had', () => {
    const s: Schema = { fields: [{ id: 1, name: 'a', type: 'long', required: false }, { id: 2, name: 'b', type: 'long', required: false }, { id: 3, name: 'c', type: 'long', required: false }] }
    // 1 was 'old' and 'b' before; 2 was 'old' too; 3 was 'c0'
    const names = new Map([[1, new Set(['a', 'old', 'b'])], [2, new Set(['old', 'b'])], [3, new Set(['c0'])]])
    expect(nameMapping(s, names)).toEqual([
      { 'field-id': 1, names: ['a'] },
      { 'field-id': 2, names: ['b'] },
      { 'field-id': 3, names: ['c', 'c0'] },
    ])
  })
})

describe('Avro files', () => {
  const record: ManifestFileRecord = {
    manifest_path: 'file:///x/m.avro', manifest_length: 10, partition_spec_id: 0, content: 0, sequence_number: 1767225600000,
    min_sequence_number: 1767225600000, added_snapshot_id: 4503599627370495, added_files_count: 2, existing_files_count: 0,
    deleted_files_count: 0, added_rows_count: 3, existing_rows_count: 0, deleted_rows_count: 0,
    partitions: [{ contains_null: false, contains_nan: null, lower_bound: Buffer.from('01000000', 'hex'), upper_bound: null }], key_metadata: null,
  }

  it('keep the schema text with its field ids in the header, with the metadata given, and decode back', async () => {
    const bytes = await encodeAvro(MANIFEST_FILE_SCHEMA, [record], { 'format-version': '2', 'snapshot-id': '7' }, 'x')
    const header = await new Promise<Record<string, Buffer>>((resolve, reject) => {
      const decoder = new avro.streams.BlockDecoder()
      decoder.on('metadata', (_type: unknown, _codec: unknown, h: { meta: Record<string, Buffer> }) => resolve(h.meta))
      decoder.on('error', reject)
      decoder.end(bytes)
    })
    expect(JSON.parse(header['avro.schema'].toString())).toEqual(MANIFEST_FILE_SCHEMA)
    expect(header['avro.codec'].toString()).toBe('deflate')
    expect(header['format-version'].toString()).toBe('2')
    const [back] = await decodeManifestList(bytes)
    expect({ ...back, partitions: back.partitions!.map((p) => ({ ...p })) }).toEqual(record)
  })

  it('are the same bytes for the same content', async () => {
    const a = await encodeAvro(MANIFEST_FILE_SCHEMA, [record], {}, 'x')
    expect((await encodeAvro(MANIFEST_FILE_SCHEMA, [record], {}, 'x')).equals(a)).toBe(true)
  })
})
