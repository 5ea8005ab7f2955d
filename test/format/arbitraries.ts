/** fast-check arbitraries for format objects and values (shared by the format property tests). */
import fc from 'fast-check'
import type { ObjectId, SnapshotId } from '../../src/ids.js'
import {
  allFields,
  assignSchemaIds,
  compareValues,
  fieldById,
  fixedLength,
  formatTime,
  formatTimestampNanos,
  formatUuid,
  maxFieldId,
  type Schema,
  type Type,
  daysFromCivil,
  formatDate,
  formatDecimal,
  formatFloat,
  formatTimestamp,
  isTransformAllowed,
  MICROS_PER_DAY,
  partitionValueType,
  type DataFile,
  type Field,
  type Manifest,
  type ManifestRef,
  type PartitionBounds,
  type PartitionField,
  type PrimitiveType,
  type Snapshot,
  type TableChange,
  type TableMetadata,
  type Transform,
  type ValueType,
} from '../../src/format/index.js'

export const MIN_DAYS = daysFromCivil(0, 1, 1)
export const MAX_DAYS = daysFromCivil(9999, 12, 31)
export const MIN_MICROS = BigInt(MIN_DAYS) * MICROS_PER_DAY
export const MAX_MICROS = BigInt(MAX_DAYS + 1) * MICROS_PER_DAY - 1n

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
export const objectId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hex(b) as ObjectId)
export const uuid = fc.uuid()
export const count = fc.maxSafeNat()
export const text = fc.string({ unit: 'binary', maxLength: 12 })
export const tableName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}(\.[A-Za-z_][A-Za-z0-9_]{0,5})?$/)

/** The primitive types of table kind v1 only. */
export const v1PrimitiveType: fc.Arbitrary<PrimitiveType> = fc.oneof(
  fc.constantFrom<PrimitiveType>('boolean', 'int', 'long', 'float', 'double', 'string', 'binary', 'date', 'timestamp', 'timestamptz'),
  fc.integer({ min: 1, max: 38 }).chain((p) => fc.integer({ min: 0, max: p }).map((s) => `decimal(${p},${s})` as PrimitiveType)),
)

/** Every primitive type, v2 ones included. */
export const primitiveType: fc.Arbitrary<PrimitiveType> = fc.oneof(
  v1PrimitiveType,
  fc.constantFrom<PrimitiveType>('time', 'timestamp_ns', 'timestamptz_ns', 'uuid'),
  fc.integer({ min: 1, max: 20 }).map((n) => `fixed(${n})` as PrimitiveType),
)

/** Names as people type them, odd ones included (dots, spaces, quotes, backticks, keywords). */
export const fieldName = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/),
  fc.constantFrom('not', 'null', 'struct', 'list', 'map', 'int', 'a.b', 'my col', 'x`y', 'q"r', 'élan', '1st', 'key', 'element'),
  fc.string({ minLength: 1, maxLength: 5 }),
)

/** Sibling fields with names unique ignoring case; ids are placeholders (assignSchemaIds numbers them). */
function fieldsOf(type: fc.Arbitrary<Type>, minLength: number): fc.Arbitrary<Field[]> {
  return fc
    .uniqueArray(fc.record({ name: fieldName, type, required: fc.boolean() }), { minLength, maxLength: 4, selector: (f) => f.name.toLowerCase() })
    .map((fs) => fs.map((f) => ({ id: 0, ...f })))
}

/** A type nested up to `depth` levels (struct, list, map), ids all 0. */
export function typeOf(depth: number): fc.Arbitrary<Type> {
  if (depth === 0) return primitiveType
  const inner = typeOf(depth - 1)
  return fc.oneof(
    { weight: 3, arbitrary: primitiveType },
    { weight: 1, arbitrary: fieldsOf(inner, 1).map((fields): Type => ({ type: 'struct', fields })) },
    { weight: 1, arbitrary: fc.record({ element: inner, elementRequired: fc.boolean() }).map((l): Type => ({ type: 'list', elementId: 0, ...l })) },
    {
      weight: 1,
      arbitrary: fc.record({ key: inner, value: inner, valueRequired: fc.boolean() }).map((m): Type => ({ type: 'map', keyId: 0, valueId: 0, ...m })),
    },
  )
}

/** A schema with types nested to depth 3 and fresh ids counting from `first + 1`. */
export const schema: fc.Arbitrary<Schema> = fc
  .tuple(fieldsOf(typeOf(3), 1), fc.integer({ min: 0, max: 2000 }))
  .map(([fields, first]) => assignSchemaIds({ fields }, first).schema)

/** Canonical text of a random value of `type`. */
export function valueOf(type: ValueType): fc.Arbitrary<string> {
  switch (type) {
    case 'boolean':
      return fc.boolean().map(String)
    case 'int':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(String)
    case 'long':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)
    case 'float':
      return fc.float().map(formatFloat)
    case 'double':
      return fc.double().map(formatFloat)
    case 'string':
      return text
    case 'binary':
      return fc.uint8Array({ maxLength: 8 }).map(hex)
    case 'date':
      return fc.integer({ min: MIN_DAYS, max: MAX_DAYS }).map(formatDate)
    case 'timestamp':
    case 'timestamptz':
      return fc.bigInt({ min: MIN_MICROS, max: MAX_MICROS }).map((us) => formatTimestamp(us, type === 'timestamptz'))
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((ns) => formatTimestampNanos(ns, type === 'timestamptz_ns'))
    case 'time':
      return fc.bigInt({ min: 0n, max: MICROS_PER_DAY - 1n }).map(formatTime)
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatUuid)
    case 'month':
      return valueOf('date').map((d) => d.slice(0, 7))
    case 'year':
      return valueOf('date').map((d) => d.slice(0, 4))
    default: {
      const length = fixedLength(type)
      if (length !== undefined) return fc.uint8Array({ minLength: length, maxLength: length }).map(hex)
      const [p, s] = type.slice(8, -1).split(',').map(Number) as [number, number]
      const max = 10n ** BigInt(p) - 1n
      return fc.bigInt({ min: -max, max }).map((n) => formatDecimal(n, s))
    }
  }
}

const operation = fc.constantFrom<TableChange['operation']>('create', 'append', 'overwrite', 'delete', 'replace-partitions', 'upsert', 'schema')
const change = (op: fc.Arbitrary<TableChange['operation']>): fc.Arbitrary<TableChange> =>
  fc.record({ operation: op, addedFiles: count, removedFiles: count, addedRows: count, removedRows: count, addedBytes: count, removedBytes: count })

export const snapshot: fc.Arbitrary<Snapshot> = fc
  .record({
    parents: fc.uniqueArray(objectId, { maxLength: 2 }),
    timestampMs: count,
    author: text,
    message: text,
    tables: fc.dictionary(tableName, objectId, { maxKeys: 4 }),
    dropped: fc.uniqueArray(tableName, { maxLength: 2 }),
    key: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: undefined }),
    fingerprint: fc.option(objectId, { nil: undefined }),
  })
  .chain(({ tables, dropped, key, fingerprint, ...rest }) => {
    const changed = Object.keys(tables).map((name) => change(operation).map((c) => [name, c] as const))
    const drops = dropped.filter((n) => !Object.hasOwn(tables, n)).map((name) => change(fc.constant('drop')).map((c) => [name, c] as const))
    return fc.tuple(fc.subarray([...changed, ...drops]).chain((arbs) => fc.tuple(...arbs))).map(([entries]) => {
      const s: Snapshot = { ...rest, parents: rest.parents as SnapshotId[], tables, summary: Object.fromEntries(entries) }
      if (key !== undefined) s.idempotencyKey = key
      if (key !== undefined && fingerprint !== undefined) s.fingerprint = fingerprint
      return s
    })
  })

function boundsOf(type: ValueType): fc.Arbitrary<PartitionBounds> {
  return fc.oneof(
    fc.constant<PartitionBounds>({ lower: null, upper: null, containsNull: true }),
    fc.tuple(valueOf(type), valueOf(type), fc.boolean()).map(([a, b, containsNull]) => {
      const [lower, upper] = compareValues(type, a, b) <= 0 ? [a, b] : [b, a]
      return { lower, upper, containsNull }
    }),
  )
}

/** Partition fields over primitive sources outside lists and maps, at any struct depth. */
function partitionSpecOf(s: Schema): fc.Arbitrary<PartitionField[]> {
  const candidates = allFields(s)
    .filter((f) => !f.repeated)
    .flatMap((f) => (['identity', 'day', 'month', 'year'] as Transform[]).filter((t) => isTransformAllowed(t, f.type)).map((transform) => ({ f, transform })))
  return fc.subarray(candidates, { maxLength: Math.min(3, candidates.length) }).map((chosen) =>
    chosen.map(({ f, transform }, i) => ({ sourceId: f.id, fieldId: 1000 + i, name: `${f.path.join('.')}_${transform}`, transform })),
  )
}

/** Table metadata of either kind: a schema of v1 types only (half the time) or with nested and v2 types. */
export const tableMetadata: fc.Arbitrary<TableMetadata> = fc.oneof(fieldsOf(v1PrimitiveType, 0).map((fields) => assignSchemaIds({ fields }, 0).schema), schema).chain((s) =>
  partitionSpecOf(s).chain((spec) => {
    const types = spec.map((p) => partitionValueType(p.transform, fieldById(s, p.sourceId)!.type as PrimitiveType))
    const manifestRef: fc.Arbitrary<ManifestRef> = fc.record({
      id: objectId,
      files: count,
      rows: count,
      bytes: count,
      partitions: fc.tuple(...types.map(boundsOf)).map((bs) => Object.fromEntries(bs.map((b, i) => [String(spec[i]!.fieldId), b]))),
    })
    return fc.record({
      tableId: uuid,
      schema: fc.constant(s),
      lastColumnId: fc.integer({ min: maxFieldId(s), max: 5000 }),
      partitionSpec: fc.constant(spec),
      manifests: fc.uniqueArray(manifestRef, { maxLength: 3, selector: (m) => m.id }),
      properties: fc.dictionary(text, text, { maxKeys: 3 }),
    })
  }),
)

const dataFile: fc.Arbitrary<DataFile> = fc.record({ rows: count, id: objectId, bytes: count }).chain(({ rows, id, bytes }) =>
  fc.record({
    id: fc.constant(id),
    format: fc.constant('parquet' as const),
    rows: fc.constant(rows),
    bytes: fc.constant(bytes),
    partition: fc.dictionary(fc.integer({ min: 1000, max: 1010 }).map(String), fc.option(text, { nil: null }), { maxKeys: 3 }),
    columns: fc.dictionary(
      fc.integer({ min: 1, max: 3000 }).map(String),
      fc.record(
        { name: fc.string({ minLength: 1, maxLength: 6 }), min: text, max: text, nulls: fc.integer({ min: 0, max: Math.min(rows, Number.MAX_SAFE_INTEGER) }) },
        { requiredKeys: ['name', 'nulls'] },
      ),
      { maxKeys: 4 },
    ),
  }),
)

export const manifest: fc.Arbitrary<Manifest> = fc.uniqueArray(dataFile, { maxLength: 4, selector: (f) => f.id }).map((files) => ({ files }))
