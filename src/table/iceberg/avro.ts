/**
 * Iceberg's Avro files (manifests and manifest lists, format version 2),
 * written with avsc. Longs are BigInt-exact (a partition value or bound may
 * exceed 2^53); the schemas carry Iceberg's `field-id` attributes, which the
 * file header keeps. Pure encoding: the caller stores the bytes.
 */
import avro from 'avsc'
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { deflateRaw } from 'node:zlib'

const deflateRawAsync = promisify(deflateRaw)

/** Avro `long` as BigInt (plain safe integers are accepted on write). */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8)
    buf.writeBigInt64LE(BigInt(n))
    return buf
  },
  fromJSON: (v: unknown) => BigInt(v as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' || Number.isSafeInteger(n),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
})

const opt = (type: unknown, name: string, id: number) => ({ name, type: ['null', type], default: null, 'field-id': id })

/** Iceberg's `map<int, T>` in Avro: an array of key/value records with the map logical type. */
const intMap = (name: string, id: number, keyId: number, valueId: number, value: string) => opt({
  type: 'array', logicalType: 'map',
  items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [{ name: 'key', type: 'int', 'field-id': keyId }, { name: 'value', type: value, 'field-id': valueId }] },
}, name, id)

/** The `manifest_entry` schema of a v2 data manifest whose partition record has `partitionFields`. */
export function manifestEntrySchema(partitionFields: unknown[]): Record<string, unknown> {
  return {
    type: 'record', name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      opt('long', 'snapshot_id', 1),
      opt('long', 'sequence_number', 3),
      opt('long', 'file_sequence_number', 4),
      {
        name: 'data_file', 'field-id': 2,
        type: {
          type: 'record', name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134 },
            { name: 'file_path', type: 'string', 'field-id': 100 },
            { name: 'file_format', type: 'string', 'field-id': 101 },
            { name: 'partition', type: { type: 'record', name: 'r102', fields: partitionFields }, 'field-id': 102 },
            { name: 'record_count', type: 'long', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
            intMap('value_counts', 109, 119, 120, 'long'),
            intMap('null_value_counts', 110, 121, 122, 'long'),
            intMap('lower_bounds', 125, 126, 127, 'bytes'),
            intMap('upper_bounds', 128, 129, 130, 'bytes'),
            opt('bytes', 'key_metadata', 131),
            opt({ type: 'array', items: 'long', 'element-id': 133 }, 'split_offsets', 132),
            opt('int', 'sort_order_id', 140),
          ],
        },
      },
    ],
  }
}

/** The `manifest_file` schema of a v2 manifest list. */
export const MANIFEST_FILE_SCHEMA = {
  type: 'record', name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    opt({
      type: 'array', 'element-id': 508,
      items: {
        type: 'record', name: 'r508',
        fields: [
          { name: 'contains_null', type: 'boolean', 'field-id': 509 },
          opt('boolean', 'contains_nan', 518),
          opt('bytes', 'lower_bound', 510),
          opt('bytes', 'upper_bound', 511),
        ],
      },
    }, 'partitions', 507),
    opt('bytes', 'key_metadata', 519),
  ],
}

/** One row of a manifest list (longs as bigint or safe numbers). */
export interface ManifestFileRecord {
  manifest_path: string
  manifest_length: bigint | number
  partition_spec_id: number
  content: number
  sequence_number: bigint | number
  min_sequence_number: bigint | number
  added_snapshot_id: bigint | number
  added_files_count: number
  existing_files_count: number
  deleted_files_count: number
  added_rows_count: bigint | number
  existing_rows_count: bigint | number
  deleted_rows_count: bigint | number
  partitions: Array<{ contains_null: boolean; contains_nan: boolean | null; lower_bound: Buffer | null; upper_bound: Buffer | null }> | null
  key_metadata: Buffer | null
}

function typeOf(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: bigLong } })
}

const HEADER_META = avro.Type.forSchema({ type: 'map', values: 'bytes' })
const BLOCK_LONG = avro.Type.forSchema('long')

/**
 * An Avro object container file of `records` (one deflate block), with the
 * header metadata Iceberg requires. The container is framed here rather than
 * by avsc's BlockEncoder, which rebuilds the schema text from its parsed type
 * and drops the `field-id` attributes that Iceberg readers need; the schema
 * is written exactly as given. The sync marker derives from `name`, so the
 * same content always gives the same bytes.
 */
export async function encodeAvro(schema: unknown, records: readonly unknown[], metadata: Record<string, string>, name: string): Promise<Buffer> {
  const type = typeOf(schema)
  const sync = createHash('sha256').update(name).digest().subarray(0, 16)
  const meta: Record<string, Buffer> = { 'avro.schema': Buffer.from(JSON.stringify(schema)), 'avro.codec': Buffer.from('deflate') }
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v, 'utf8')
  const parts: Buffer[] = [Buffer.from('Obj\x01', 'latin1'), HEADER_META.toBuffer(meta), sync]
  if (records.length > 0) {
    const block = await deflateRawAsync(Buffer.concat(records.map((r) => type.toBuffer(r))))
    parts.push(BLOCK_LONG.toBuffer(records.length), BLOCK_LONG.toBuffer(block.length), block, sync)
  }
  return Buffer.concat(parts)
}

/** The records of a manifest list this export wrote before (to carry its entries into the next snapshot). */
export async function decodeManifestList(bytes: Uint8Array): Promise<ManifestFileRecord[]> {
  const decoder = new avro.streams.BlockDecoder({ readerSchema: MANIFEST_FILE_SCHEMA as avro.Schema })
  const out: ManifestFileRecord[] = []
  const done = new Promise<void>((resolve, reject) => {
    decoder.on('data', (r: ManifestFileRecord) => out.push({ ...r }))
    decoder.on('end', resolve)
    decoder.on('error', reject)
  })
  decoder.end(Buffer.from(bytes))
  await done
  return out
}
