/**
 * Nanosecond instants (Arrow Timestamp(ns, zone), Parquet TIMESTAMP(NANOS,
 * isAdjustedToUTC=true): pandas' tz-aware default) without loss. DuckDB
 * reads them as TIMESTAMPTZ in microseconds, cutting the last three digits,
 * and has no nanosecond TIMESTAMPTZ. So such columns are handed to DuckDB
 * zone-less: the same int64 nanoseconds since the epoch, as Timestamp(ns)
 * without a zone, which DuckDB reads as TIMESTAMP_NS exactly. The column's
 * name is remembered, and it becomes a timestamptz_ns column (stored as
 * TIMESTAMP_NS holding the UTC reading; format-spec/table-metadata.md#types).
 */
import type { RecordBatch, Schema as ArrowSchema } from 'apache-arrow'
import { loadArrow } from './arrow-parquet.js'
import { Duck, quoteLiteral } from './duck.js'

/** Top-level columns of an Arrow schema that are nanosecond timestamps with a zone. */
export async function arrowUtcNanos(schema: ArrowSchema): Promise<string[]> {
  const arrow = await loadArrow()
  return schema.fields
    .filter((f) => arrow.DataType.isTimestamp(f.type) && f.type.unit === arrow.TimeUnit.NANOSECOND && !!f.type.timezone)
    .map((f) => f.name)
}

/** Top-level columns of a Parquet file that DuckDB reads as TIMESTAMPTZ but that hold nanoseconds. */
export async function parquetUtcNanos(duck: Duck, path: string): Promise<string[]> {
  const rows = await duck.all(
    `SELECT s.name FROM parquet_schema(${quoteLiteral(path)}) AS s
     JOIN (DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(path)})) AS d ON d.column_name = s.name
     WHERE d.column_type = 'TIMESTAMP WITH TIME ZONE' AND s.logical_type LIKE '%isAdjustedToUTC=1%' AND s.logical_type LIKE '%NANOS=NanoSeconds()%'`,
  )
  return rows.map((r) => String(r.name))
}

/** The batches with the columns named in `names` retagged as Timestamp(ns, 'UTC') (the library's Arrow output of timestamptz_ns). */
export async function* addZones(batches: AsyncIterable<RecordBatch>, names: string[]): AsyncGenerator<RecordBatch> {
  const arrow = await loadArrow()
  const wanted = new Set(names)
  for await (const batch of batches) {
    if (!wanted.size) {
      yield batch
      continue
    }
    yield retag(arrow, batch, wanted, () => new arrow.TimestampNanosecond('UTC'))
  }
}

function retag(arrow: typeof import('apache-arrow'), batch: RecordBatch, wanted: Set<string>, type: () => import('apache-arrow').DataType): RecordBatch {
  const fields = batch.schema.fields.map((f) => (wanted.has(f.name) ? f.clone({ type: type() }) : f))
  const children = batch.data.children.map((child, i) => (wanted.has(batch.schema.fields[i]!.name) ? child.clone(fields[i]!.type) : child))
  const schema = new arrow.Schema(fields, batch.schema.metadata)
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(fields), length: batch.numRows, nullCount: 0, children }))
}

/**
 * The batches with the zone of every top-level nanosecond timestamp column
 * dropped (values unchanged); the names of those columns are added to `found`.
 */
export async function* dropZones(batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>, found: Set<string>): AsyncGenerator<RecordBatch> {
  const arrow = await loadArrow()
  for await (const batch of batches as AsyncIterable<RecordBatch>) {
    const names = await arrowUtcNanos(batch.schema)
    if (!names.length) {
      yield batch
      continue
    }
    for (const n of names) found.add(n)
    yield retag(arrow, batch, new Set(names), () => new arrow.TimestampNanosecond())
  }
}

/** The Arrow schema with `names` retagged as Timestamp(ns, 'UTC') (for outputs without batches). */
export async function zonedSchema(schema: ArrowSchema | Promise<ArrowSchema>, names: string[]): Promise<ArrowSchema> {
  const arrow = await loadArrow()
  const wanted = new Set(names)
  const s = await schema
  return new arrow.Schema(s.fields.map((f) => (wanted.has(f.name) ? f.clone({ type: new arrow.TimestampNanosecond('UTC') }) : f)), s.metadata)
}

/** The Arrow schema with the zones of `names` dropped (for inputs without batches). */
export async function dropSchemaZones(schema: ArrowSchema, names: string[]): Promise<ArrowSchema> {
  const arrow = await loadArrow()
  const wanted = new Set(names)
  return new arrow.Schema(schema.fields.map((f) => (wanted.has(f.name) ? f.clone({ type: new arrow.TimestampNanosecond() }) : f)), schema.metadata)
}
