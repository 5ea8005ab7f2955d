/**
 * Table metadata (format-spec/table-metadata.md): schema, partition spec,
 * the list of manifests with their partition bounds, and properties.
 */
import { childPath } from './canonical-json.js'
import { decodeChecked, encodeChecked } from './codec.js'
import {
  fail,
  readArray,
  readBoolean,
  readCount,
  readInteger,
  readMap,
  readObject,
  readObjectId,
  readString,
  readUuid,
  type JsonObject,
} from './json-fields.js'
import { allFields, fieldById, isV2Type, maxFieldId, primitiveTypeOf } from './fields.js'
import { decodePartitionSpec, decodeSchema, encodePartitionSpec, encodeSchema } from './schema.js'
import { formatFieldPath, formatType } from './type-text.js'
import {
  CONTRACT_FORMAT, KINDS, TABLE_KIND_V2, TABLE_KIND_V3, TABLE_KIND_V4, type ManifestRef, type TableContract, type PartitionBounds, type PartitionField, type Schema, type TableMetadata, type Value,
} from './types.js'
import { compareValues, partitionValueType, valueProblem, type ValueType } from './values.js'

function encodeManifestRef(m: ManifestRef): JsonObject {
  return {
    id: m.id,
    files: m.files,
    rows: m.rows,
    bytes: m.bytes,
    partitions: Object.fromEntries(
      Object.entries(m.partitions).map(([id, b]) => [id, { lower: b.lower, upper: b.upper, 'contains-null': b.containsNull }]),
    ),
  }
}

/**
 * The kind a table is written as: `dv:table:v4` when it has a data
 * contract, else `dv:table:v3` when it has a primary key,
 * else `dv:table:v2` when its schema needs v2, else `dv:table:v1`
 * (format-spec/table-metadata.md#kind-versions). One kind per content keeps
 * one byte form per table, and lets older dv versions go on reading every
 * table that uses nothing they do not know.
 */
export function tableKind(schema: Schema, identifierFieldIds: readonly number[] = [], hasContract = false): string {
  if (hasContract) return TABLE_KIND_V4
  if (identifierFieldIds.length > 0) return TABLE_KIND_V3
  return allFields(schema).some((f) => isV2Type(f.type)) ? TABLE_KIND_V2 : KINDS.table
}

function encodeTableMetadata(t: TableMetadata): JsonObject {
  const json: JsonObject = {
    kind: tableKind(t.schema, t.identifierFieldIds, t.contract !== undefined),
    'table-id': t.tableId,
    schema: encodeSchema(t.schema),
    'last-column-id': t.lastColumnId,
    'partition-spec': encodePartitionSpec(t.partitionSpec),
    manifests: t.manifests.map(encodeManifestRef),
    properties: t.properties,
  }
  if (t.identifierFieldIds?.length) json['identifier-field-ids'] = t.identifierFieldIds
  if (t.contract) json.contract = { format: t.contract.format, text: t.contract.text }
  return json
}

/**
 * The primary key (format-spec/table-metadata.md#primary-key): distinct ids
 * of top-level columns that are required and of a primitive type other than
 * float and double (whose equality is not an identity: NaN, -0).
 */
function decodeIdentifierFieldIds(v: unknown, schema: Schema): number[] {
  const ids = readArray(v, '$.identifier-field-ids').map((item, i) => readInteger(item, `$.identifier-field-ids[${i}]`, 1, 2 ** 31 - 1))
  if (ids.length === 0) fail('$.identifier-field-ids', 'must list at least one field id (omit the field for a table without a key)')
  ids.forEach((id, i) => {
    const at = `$.identifier-field-ids[${i}]`
    if (ids.indexOf(id) !== i) fail(at, `duplicate field id ${id}`)
    const field = schema.fields.find((f) => f.id === id)
    if (!field) fail(at, `field id ${id} is not a top-level column of the schema`)
    if (typeof field.type !== 'string') fail(at, `column ${field.name} has a nested type; a key column must be primitive`)
    if (field.type === 'float' || field.type === 'double') fail(at, `column ${field.name} is ${field.type}; a key column cannot be float or double`)
    if (!field.required) fail(at, `column ${field.name} is optional; a key column must be required`)
  })
  return ids
}

function readBound(v: unknown, path: string, type: ValueType): Value {
  if (v === null) return null
  const text = readString(v, path)
  const problem = valueProblem(type, text)
  if (problem) fail(path, `invalid ${type} value ${JSON.stringify(text)}: ${problem}`)
  return text
}

function decodeBounds(v: unknown, path: string, type: ValueType): PartitionBounds {
  const o = readObject(v, path, ['lower', 'upper', 'contains-null'])
  const bounds: PartitionBounds = {
    lower: readBound(o.lower, `${path}.lower`, type),
    upper: readBound(o.upper, `${path}.upper`, type),
    containsNull: readBoolean(o['contains-null'], `${path}.contains-null`),
  }
  if ((bounds.lower === null) !== (bounds.upper === null)) fail(path, 'lower and upper must both be null or both be values')
  if (compareValues(type, bounds.lower, bounds.upper) > 0) fail(path, `lower ${bounds.lower} is greater than upper ${bounds.upper}`)
  return bounds
}

function decodeManifestRef(v: unknown, path: string, spec: PartitionField[], schema: Schema): ManifestRef {
  const o = readObject(v, path, ['id', 'files', 'rows', 'bytes', 'partitions'])
  const types = new Map(
    spec.map((p) => [String(p.fieldId), partitionValueType(p.transform, primitiveTypeOf(fieldById(schema, p.sourceId)!))]),
  )
  const partitions = readMap(o.partitions, `${path}.partitions`, (value, at, key) => {
    const type = types.get(key)
    if (type === undefined) fail(at, `no partition field ${key} in the partition spec`)
    return decodeBounds(value, at, type)
  })
  for (const key of types.keys()) {
    if (!Object.hasOwn(partitions, key)) fail(childPath(`${path}.partitions`, key), 'missing bounds of a partition field')
  }
  return {
    id: readObjectId(o.id, `${path}.id`),
    files: readCount(o.files, `${path}.files`),
    rows: readCount(o.rows, `${path}.rows`),
    bytes: readCount(o.bytes, `${path}.bytes`),
    partitions,
  }
}

/** The stored contract: its format and text. What the text says is checked by the table layer (it needs the YAML and ODCS schema). */
function decodeContract(v: unknown): TableContract {
  const o = readObject(v, '$.contract', ['format', 'text'])
  const format = readString(o.format, '$.contract.format')
  if (format !== CONTRACT_FORMAT) fail('$.contract.format', `unknown contract format ${JSON.stringify(format)}; this dv reads ${CONTRACT_FORMAT}`)
  const text = readString(o.text, '$.contract.text')
  if (text.trim() === '') fail('$.contract.text', 'the contract is empty')
  return { format: CONTRACT_FORMAT, text }
}

/** A v1 object may not use v2 types, a v2 object must use one, and v3 is exactly the tables with a key (so each table has one byte form). */
function checkKindFits(kind: string, schema: Schema, identifierFieldIds: readonly number[], hasContract: boolean): void {
  const wanted = tableKind(schema, identifierFieldIds, hasContract)
  if (kind === wanted) return
  if (wanted === TABLE_KIND_V4) fail('$.kind', `a table with a contract must be written as ${TABLE_KIND_V4}`)
  if (kind === TABLE_KIND_V4) fail('$.kind', `${TABLE_KIND_V4} is for tables with a contract; this table has none and must be written as ${wanted}`)
  if (wanted === TABLE_KIND_V3) fail('$.kind', `a table with identifier-field-ids must be written as ${TABLE_KIND_V3}`)
  if (kind === TABLE_KIND_V3) fail('$.kind', `${TABLE_KIND_V3} is for tables with a primary key; this table has no identifier-field-ids and must be written as ${wanted}`)
  if (kind === TABLE_KIND_V2) fail('$.kind', `${TABLE_KIND_V2} is for schemas with nested or newer types; this schema must be written as ${KINDS.table}`)
  const field = allFields(schema).find((f) => isV2Type(f.type))!
  fail('$.schema', `column ${formatFieldPath(field.path)} has type ${formatType(field.type)}, which needs kind ${TABLE_KIND_V2}`)
}

function decodeTableMetadata(json: unknown): TableMetadata {
  const o = readObject(json, '$', ['kind', 'table-id', 'schema', 'last-column-id', 'partition-spec', 'manifests', 'properties'], ['identifier-field-ids', 'contract'])
  const tableId = readUuid(o['table-id'], '$.table-id')
  const schema = decodeSchema(o.schema, '$.schema')
  const identifierFieldIds = o['identifier-field-ids'] === undefined ? [] : decodeIdentifierFieldIds(o['identifier-field-ids'], schema)
  const contract = o.contract === undefined ? undefined : decodeContract(o.contract)
  checkKindFits(readString(o.kind, '$.kind'), schema, identifierFieldIds, contract !== undefined)
  const lastColumnId = readInteger(o['last-column-id'], '$.last-column-id', 0, 2 ** 31 - 1)
  const highest = maxFieldId(schema)
  if (lastColumnId < highest) fail('$.last-column-id', `${lastColumnId} is below the highest field id ${highest}`)
  const partitionSpec = decodePartitionSpec(o['partition-spec'], '$.partition-spec', schema)
  // A manifest may occur more than once (identical files appended twice): each occurrence counts.
  const manifests = readArray(o.manifests, '$.manifests').map((item, i) => decodeManifestRef(item, `$.manifests[${i}]`, partitionSpec, schema))
  const properties = readMap(o.properties, '$.properties', (v, at) => readString(v, at))
  const table: TableMetadata = { tableId, schema, lastColumnId, partitionSpec, manifests, properties }
  if (identifierFieldIds.length) table.identifierFieldIds = identifierFieldIds
  if (contract) table.contract = contract
  return table
}

/** Canonical bytes of table metadata; INVALID_ARGUMENT naming the field if it breaks a rule of the spec. */
export function serializeTableMetadata(table: TableMetadata): Uint8Array {
  return encodeChecked('table metadata', encodeTableMetadata(table), decodeTableMetadata)
}

/** Parses and validates table metadata; CORRUPT naming `what` and the JSON path, UNSUPPORTED for another kind version. */
export function parseTableMetadata(bytes: Uint8Array, what = 'table metadata'): TableMetadata {
  return decodeChecked(bytes, [KINDS.table, TABLE_KIND_V2, TABLE_KIND_V3, TABLE_KIND_V4], what, decodeTableMetadata)
}
