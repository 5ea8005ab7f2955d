/**
 * Manifests (format-spec/manifest.md): the data files of a table, with row
 * counts, sizes, partition values and per-column statistics.
 */
import { childPath } from './canonical-json.js'
import { decodeChecked, encodeChecked } from './codec.js'
import {
  decodeObject,
  fail,
  readArray,
  readCount,
  readIdKey,
  readMap,
  readObject,
  readObjectId,
  readString,
  isCount,
  isIdKey,
  isJsonObject,
  type JsonObject,
} from './json-fields.js'
import { isObjectId, type ObjectId } from '../ids.js'
import { allFields, fieldById, isPrimitive, type FieldEntry } from './fields.js'
import { FIRST_PARTITION_FIELD_ID } from './schema.js'
import { formatFieldPath, formatType } from './type-text.js'
import type { ColumnInfo, DataFile, Manifest, ManifestRef, PartitionBounds, PartitionField, Schema, TableMetadata, Value } from './types.js'
import { KINDS } from './types.js'
import { compareValues, partitionValueType, validateValue, valueProblem, widenValue, type ValueType } from './values.js'

function encodeColumn(c: ColumnInfo): JsonObject {
  const json: JsonObject = { name: c.name, nulls: c.nulls }
  if (c.min !== undefined) json.min = c.min
  if (c.max !== undefined) json.max = c.max
  return json
}

function encodeDataFile(f: DataFile): JsonObject {
  return {
    id: f.id,
    format: f.format,
    rows: f.rows,
    bytes: f.bytes,
    partition: f.partition,
    columns: Object.fromEntries(Object.entries(f.columns).map(([id, c]) => [id, encodeColumn(c)])),
  }
}

function decodeColumn(v: unknown, path: string, rows: number): ColumnInfo {
  const o = readObject(v, path, ['name', 'nulls'], ['min', 'max'])
  const column: ColumnInfo = { name: readString(o.name, `${path}.name`, { nonEmpty: true }), nulls: readCount(o.nulls, `${path}.nulls`) }
  if (column.nulls > rows) fail(`${path}.nulls`, `${column.nulls} nulls in a file of ${rows} rows`)
  if (o.min !== undefined) column.min = readString(o.min, `${path}.min`)
  if (o.max !== undefined) column.max = readString(o.max, `${path}.max`)
  return column
}

function decodeDataFile(v: unknown, path: string): DataFile {
  const o = readObject(v, path, ['id', 'format', 'rows', 'bytes', 'partition', 'columns'])
  const format = readString(o.format, `${path}.format`)
  if (format !== 'parquet') fail(`${path}.format`, `unknown file format ${JSON.stringify(format)} (expected parquet)`)
  const rows = readCount(o.rows, `${path}.rows`)
  return {
    id: readObjectId(o.id, `${path}.id`),
    format,
    rows,
    bytes: readCount(o.bytes, `${path}.bytes`),
    partition: readMap(o.partition, `${path}.partition`, (value, at, key): Value => {
      readIdKey(key, at, FIRST_PARTITION_FIELD_ID)
      return value === null ? null : readString(value, at)
    }),
    columns: readMap(o.columns, `${path}.columns`, (value, at, key) => {
      readIdKey(key, at, 1)
      return decodeColumn(value, at, rows)
    }),
  }
}

/** Exactly name and nulls, and min or max when present (the key count leaves no room for any other key). */
function isPlainColumn(v: unknown, rows: number): v is ColumnInfo {
  if (!isJsonObject(v)) return false
  let keys = 0
  for (const _ in v) keys++
  const { name, nulls, min, max } = v
  return typeof name === 'string' && name.length > 0 && isCount(nulls) && nulls <= rows &&
    (min === undefined || typeof min === 'string') && (max === undefined || typeof max === 'string') &&
    keys === 2 + (min === undefined ? 0 : 1) + (max === undefined ? 0 : 1)
}

/**
 * True when `v` is a data file decodeDataFile accepts as it stands: the
 * parsed object itself is then the DataFile (no copy, no path strings; a
 * manifest of thousands of files is read cold by every diff and scan, and
 * the copies were most of its cost in garbage). Anything else goes to
 * decodeDataFile, which names the problem. Keys are own data properties of
 * JSON.parse's objects, and partition and column keys must be field ids, so
 * nothing reaches a prototype.
 */
function isPlainDataFile(v: unknown): v is DataFile {
  if (!isJsonObject(v)) return false
  let keys = 0
  for (const _ in v) keys++
  const { id, format, rows, bytes, partition, columns } = v
  if (keys !== 6 || !isObjectId(id) || format !== 'parquet' || !isCount(rows) || !isCount(bytes)) return false
  if (!isJsonObject(partition) || !isJsonObject(columns)) return false
  for (const key in partition) {
    const value = partition[key]
    if (!isIdKey(key, FIRST_PARTITION_FIELD_ID) || (value !== null && typeof value !== 'string')) return false
  }
  for (const key in columns) if (!isIdKey(key, 1) || !isPlainColumn(columns[key], rows)) return false
  return true
}

function decodeManifest(json: unknown): Manifest {
  const o = readObject(json, '$', ['kind', 'files'])
  // The same data object may occur more than once (identical content appended twice): each occurrence counts.
  const files = readArray(o.files, '$.files').map((item, i) => (isPlainDataFile(item) ? item : decodeDataFile(item, `$.files[${i}]`)))
  return { files }
}

export function serializeManifest(manifest: Manifest): Uint8Array {
  return encodeChecked('manifest', { kind: KINDS.manifest, files: manifest.files.map(encodeDataFile) }, decodeManifest)
}

/**
 * Parses a manifest and checks its structure; CORRUPT naming `what` and the
 * JSON path. Typed checks need the table: see validateManifest.
 */
export function parseManifest(bytes: Uint8Array, what = 'manifest'): Manifest {
  return decodeChecked(bytes, KINDS.manifest, what, decodeManifest)
}

function checkValue(type: ValueType, value: string, path: string): void {
  const problem = valueProblem(type, value)
  if (problem) fail(path, `invalid ${type} value ${JSON.stringify(value)}: ${problem}`)
}

function checkDataFile(file: DataFile, path: string, table: TableMetadata, spec: Map<string, PartitionField>): void {
  for (const key of Object.keys(file.partition)) {
    if (!spec.has(key)) fail(childPath(`${path}.partition`, key), `no partition field ${key} in the table's partition spec`)
  }
  for (const [key, p] of spec) {
    const at = childPath(`${path}.partition`, key)
    if (!Object.hasOwn(file.partition, key)) fail(at, `missing the value of partition field ${p.name}`)
    const value = file.partition[key]!
    if (value !== null) checkValue(partitionType(p, table.schema), value, at)
  }
  for (const field of allFields(table.schema)) {
    const column = file.columns[String(field.id)]
    if (column) checkColumn(column, field, childPath(`${path}.columns`, String(field.id)))
  }
}

function checkColumn(column: ColumnInfo, field: FieldEntry, at: string): void {
  if (field.role !== 'field' && column.name !== field.role) fail(`${at}.name`, `the ${field.role} of ${formatFieldPath(field.path.slice(0, -1))} is named ${field.role}, not ${JSON.stringify(column.name)}`)
  const type = field.type
  if (!isPrimitive(type)) {
    if (column.min !== undefined || column.max !== undefined) fail(at, `${formatFieldPath(field.path)} is ${formatType(type)}; only primitive fields have min and max`)
    return
  }
  for (const bound of ['min', 'max'] as const) {
    const value = column[bound]
    if (value === undefined) continue
    checkValue(type, widenValue(type, value), `${at}.${bound}`)
    if ((type === 'float' || type === 'double') && value === 'NaN') fail(`${at}.${bound}`, 'NaN is never a min or max')
  }
  if (column.min !== undefined && column.max !== undefined && compareValues(type, column.min, column.max) > 0) {
    fail(at, `min ${column.min} is greater than max ${column.max}`)
  }
}

/**
 * Checks a manifest against its table: partition values match the spec and
 * their types, stats of known fields (at any depth) are canonical values with
 * min <= max, nested fields have no min/max, list elements and map keys and
 * values carry their fixed names.
 * Columns of fields no longer in the schema are ignored. Throws CORRUPT naming `what`.
 */
export function validateManifest(manifest: Manifest, table: TableMetadata, what = 'manifest'): void {
  const spec = new Map(table.partitionSpec.map((p) => [String(p.fieldId), p]))
  decodeObject(what, 'read', () => manifest.files.forEach((file, i) => checkDataFile(file, `$.files[${i}]`, table, spec)))
}

function partitionType(p: PartitionField, schema: Schema): ValueType {
  const source = fieldById(schema, p.sourceId)
  if (!source) return fail('$', `partition field ${p.name} has no source field ${p.sourceId}`)
  if (!isPrimitive(source.type)) return fail('$', `partition field ${p.name} has the nested source ${formatFieldPath(source.path)}`)
  return partitionValueType(p.transform, source.type)
}

/**
 * Lower and upper partition values across `files`, per partition field id,
 * ordered by the type of each partition field (so "10" > "9" for a long);
 * a file without a value for a field counts as null. Throws INVALID_ARGUMENT
 * for a value that is not canonical.
 */
export function summarizePartitions(spec: PartitionField[], files: DataFile[], schema: Schema): Record<string, PartitionBounds> {
  return Object.fromEntries(
    spec.map((p) => {
      const type = decodeObject('partition spec', 'write', () => partitionType(p, schema))
      const bounds: PartitionBounds = { lower: null, upper: null, containsNull: false }
      for (const file of files) {
        const value = file.partition[String(p.fieldId)] ?? null
        if (value === null) bounds.containsNull = true
        else {
          validateValue(type, value, { what: `value of partition field ${p.name}` })
          if (bounds.lower === null || compareValues(type, value, bounds.lower) < 0) bounds.lower = value
          if (bounds.upper === null || compareValues(type, value, bounds.upper) > 0) bounds.upper = value
        }
      }
      return [String(p.fieldId), bounds]
    }),
  )
}

/** The entry that lists manifest `id` in table metadata: counts, sizes and partition bounds. */
export function summarizeManifest(id: ObjectId, manifest: Manifest, spec: PartitionField[], schema: Schema): ManifestRef {
  let rows = 0
  let bytes = 0
  for (const file of manifest.files) {
    rows += file.rows
    bytes += file.bytes
  }
  return { id, files: manifest.files.length, rows, bytes, partitions: summarizePartitions(spec, manifest.files, schema) }
}
