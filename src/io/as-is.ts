/**
 * A Parquet input that already is a valid data file of the table (same column
 * names and types, timestamps in microseconds, field ids absent or equal to
 * the schema's, one partition, required columns without nulls) is stored
 * byte for byte: its facts come from the footer, no row is read.
 */
import { stat } from 'node:fs/promises'
import type { PartitionField, Schema } from '../format/types.js'
import type { WrittenFile } from './types.js'
import { Duck, quoteLiteral } from './duck.js'
import { isSinglePartition, partitionValues } from './partition.js'
import type { DuckColumn, ReadableFile } from './readers.js'
import { factsFromFooter } from './written-stats.js'

export async function storeAsIs(duck: Duck, file: ReadableFile, columns: DuckColumn[], schema: Schema, spec: PartitionField[]): Promise<WrittenFile | undefined> {
  if (columns.length !== schema.fields.length) return undefined
  const leaves = await duck.all(`SELECT name, field_id, converted_type, logical_type, num_children FROM parquet_schema(${quoteLiteral(file.path)})`)
  const byName = new Map(leaves.filter((l) => l.num_children === null).map((l) => [String(l.name), l]))
  if (byName.size !== columns.length) return undefined // nested columns
  for (const field of schema.fields) {
    const leaf = byName.get(field.name)
    if (!leaf) return undefined
    if (leaf.field_id !== null && Number(leaf.field_id) !== field.id) return undefined
    if ((field.type === 'timestamp' || field.type === 'timestamptz') && !isMicros(leaf)) return undefined
  }
  const { size } = await stat(file.path)
  const facts = await factsFromFooter(duck, file.path, size, schema.fields, new Map(schema.fields.map((f) => [f.id, f.name])))
  if (schema.fields.some((f) => f.required && facts.columns[String(f.id)].nulls > 0)) return undefined
  if (!isSinglePartition(facts, spec, schema)) return undefined
  const partition = await partitionValues(duck, facts, spec, schema)
  return { path: file.path, temporary: false, rows: facts.rows, bytes: facts.bytes, partition, columns: facts.columns }
}

function isMicros(leaf: Record<string, unknown>): boolean {
  const logical = String(leaf.logical_type ?? '')
  if (logical.includes('MICROS=MicroSeconds')) return true
  return !logical && leaf.converted_type === 'TIMESTAMP_MICROS'
}
