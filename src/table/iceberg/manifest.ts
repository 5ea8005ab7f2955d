/**
 * One dv manifest as an Iceberg v2 data manifest: every data file an ADDED
 * entry whose snapshot and sequence numbers are inherited from the manifest
 * list, its Parquet object by absolute URI, its partition values and its
 * column statistics in Iceberg's forms. Pure: returns the Avro bytes.
 */
import { fieldById, isPrimitive } from '../../format/fields.js'
import type { Manifest, PartitionField, Schema } from '../../format/types.js'
import { encodeAvro, manifestEntrySchema } from './avro.js'
import { boundBytes, partitionAvroType, partitionAvroValue } from './values.js'

/** Java's AvroSchemaUtil.makeCompatibleName: `event.ts_day` -> `event_x2Ets_day`. */
export function avroName(name: string): string {
  let out = ''
  for (const [i, ch] of [...name].entries()) {
    const ok = /[A-Za-z_]/.test(ch) || (i > 0 && /[0-9]/.test(ch))
    out += ok ? ch : i === 0 && /[0-9]/.test(ch) ? `_${ch}` : `_x${ch.codePointAt(0)!.toString(16).toUpperCase()}`
  }
  return out
}

export function partitionSpecJson(spec: readonly PartitionField[]): Array<Record<string, unknown>> {
  return spec.map((p) => ({ name: p.name, transform: p.transform, 'source-id': p.sourceId, 'field-id': p.fieldId }))
}

export interface ManifestInput {
  manifest: Manifest
  schema: Schema
  /** The Iceberg schema JSON (with its schema-id) written into the header. */
  schemaJson: Record<string, unknown>
  schemaId: number
  spec: readonly PartitionField[]
  /** The absolute URI of a data file object. */
  uriOf: (id: string) => string
  name: string
}

type KeyValue = Array<{ key: number; value: bigint | Buffer }>

export async function encodeManifest(input: ManifestInput): Promise<Buffer> {
  const { schema, spec } = input
  const sources = spec.map((p) => {
    const source = fieldById(schema, p.sourceId)
    if (!source || !isPrimitive(source.type)) throw new Error(`partition source ${p.sourceId} is not a primitive field of the schema`)
    return { field: p, type: source.type }
  })
  const partitionFields = sources.map(({ field, type }) => ({
    name: avroName(field.name), type: ['null', partitionAvroType(field.transform, type, field.fieldId)], default: null, 'field-id': field.fieldId,
  }))
  const records = input.manifest.files.map((file) => {
    const partition: Record<string, unknown> = {}
    for (const { field, type } of sources) partition[avroName(field.name)] = partitionAvroValue(field.transform, type, file.partition[String(field.fieldId)] ?? null)
    const valueCounts: KeyValue = []
    const nullCounts: KeyValue = []
    const lower: KeyValue = []
    const upper: KeyValue = []
    for (const [key, col] of Object.entries(file.columns)) {
      const id = Number(key)
      const field = fieldById(schema, id)
      if (!field || !isPrimitive(field.type)) continue
      // dv counts nulls inside lists and maps per row, Iceberg per value: leave those unknown
      if (!field.repeated) {
        valueCounts.push({ key: id, value: BigInt(file.rows) })
        nullCounts.push({ key: id, value: BigInt(col.nulls) })
      }
      const lo = col.min === undefined ? undefined : boundBytes(field.type, col.min)
      const hi = col.max === undefined ? undefined : boundBytes(field.type, col.max)
      if (lo && hi) {
        lower.push({ key: id, value: lo })
        upper.push({ key: id, value: hi })
      }
    }
    return {
      status: 1, snapshot_id: null, sequence_number: null, file_sequence_number: null,
      data_file: {
        content: 0, file_path: input.uriOf(file.id), file_format: 'PARQUET', partition,
        record_count: BigInt(file.rows), file_size_in_bytes: BigInt(file.bytes),
        value_counts: valueCounts, null_value_counts: nullCounts, lower_bounds: lower, upper_bounds: upper,
        key_metadata: null, split_offsets: null, sort_order_id: null,
      },
    }
  })
  return encodeAvro(manifestEntrySchema(partitionFields), records, {
    schema: JSON.stringify(input.schemaJson),
    'schema-id': String(input.schemaId),
    'partition-spec': JSON.stringify(partitionSpecJson(spec)),
    'partition-spec-id': '0',
    'format-version': '2',
    content: 'data',
  }, input.name)
}
