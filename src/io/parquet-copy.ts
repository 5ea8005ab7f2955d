/**
 * The pieces every Parquet-writing COPY shares (ingest and copy-on-write
 * rewrites): zstd with the schema's field ids, size-based rotation, files in
 * write order, oversized partition files split again, and the WrittenFile of
 * each non-empty file with its partition values read from its statistics.
 */
import { rm } from 'node:fs/promises'
import type { Field, PartitionField, Schema, Type } from '../format/types.js'
import { childFields } from '../format/fields.js'
import { DvError } from '../errors.js'
import type { WrittenFile } from './types.js'
import { Duck, quoteLiteral } from './duck.js'
import { partitionValues } from './partition.js'
import { factsFromCopyStats, type FileFacts } from './written-stats.js'

export const DEFAULT_TARGET_FILE_BYTES = 512 * 1024 * 1024

export function targetBytes(targetFileBytes: number | undefined): number {
  return Math.max(1, Math.floor(targetFileBytes ?? DEFAULT_TARGET_FILE_BYTES))
}

/** DuckDB rotates files only between row groups (122,880 rows by default): small targets need small row groups. */
export function fileSizeOption(target: number): string {
  return `FILE_SIZE_BYTES ${target}${target < 64 * 1024 * 1024 ? ', ROW_GROUP_SIZE 2048' : ''}`
}

/**
 * DuckDB's FIELD_IDS option: a top-level column is `name: id`; a nested one
 * `name: {__duckdb_field_id: id, child: ...}` where the children of a list
 * and a map are named element, key and value.
 */
export function fieldIdsOption(schema: Schema): string {
  return `FIELD_IDS {${schema.fields.map((f) => `${quoteLiteral(f.name)}: ${fieldIdSpec(f.id, f.type)}`).join(', ')}}`
}

function fieldIdSpec(id: number, type: Type): string {
  const children = childFields(type)
  if (!children.length) return String(id)
  return `{__duckdb_field_id: ${id}, ${children.map((c) => `${quoteLiteral(c.name)}: ${fieldIdSpec(c.id, c.type)}`).join(', ')}}`
}

/** Files in write order: by partition directory, then by DuckDB's sequence number. */
export function sortFacts(facts: FileFacts[]): FileFacts[] {
  const key = (p: string) => {
    const m = /^(.*?)(\d+)\.parquet$/.exec(p)
    return m ? { dir: m[1], n: Number(m[2]) } : { dir: p, n: 0 }
  }
  return [...facts].sort((a, b) => {
    const ka = key(a.path)
    const kb = key(b.path)
    return ka.dir < kb.dir ? -1 : ka.dir > kb.dir ? 1 : ka.n - kb.n
  })
}

/** PARTITION_BY cannot rotate files: rewrite any file well over the target in target-sized pieces. */
export async function splitOversized(duck: Duck, facts: FileFacts[], schema: Schema, target: number): Promise<FileFacts[]> {
  const result: FileFacts[] = []
  for (const f of facts) {
    if (f.bytes <= target * 1.25) {
      result.push(f)
      continue
    }
    const dir = `${f.path}.split`
    const rows = await duck.all(`COPY (SELECT * FROM read_parquet(${quoteLiteral(f.path)})) TO ${quoteLiteral(dir)} (FORMAT parquet, COMPRESSION zstd, ${fieldIdsOption(schema)}, ${fileSizeOption(target)}, RETURN_STATS true)`)
    await rm(f.path, { force: true })
    result.push(...sortFacts(factsFromCopyStats(rows, schema)))
  }
  return result
}

/**
 * Splits any file well over the target into target-sized pieces that keep the
 * row order (LIMIT/OFFSET over the file; FILE_SIZE_BYTES rotation would
 * interleave rows of parallel threads). Pieces are `<path>.<i>.parquet`.
 */
export async function splitInOrder(duck: Duck, facts: FileFacts[], schema: Schema, target: number): Promise<FileFacts[]> {
  const result: FileFacts[] = []
  for (const f of facts) {
    if (f.bytes <= target * 1.25 || f.rows < 2) {
      result.push(f)
      continue
    }
    const pieces = Math.min(f.rows, Math.ceil(f.bytes / target))
    const per = Math.ceil(f.rows / pieces)
    const base = f.path.replace(/\.parquet$/, '')
    for (let i = 0; i * per < f.rows; i++) {
      const rows = await duck.all(
        `COPY (SELECT * FROM read_parquet(${quoteLiteral(f.path)}) LIMIT ${per} OFFSET ${i * per}) TO ${quoteLiteral(`${base}.${i}.parquet`)} ` +
        `(FORMAT parquet, COMPRESSION zstd, ${fieldIdsOption(schema)}, RETURN_STATS true)`,
      )
      result.push(...factsFromCopyStats(rows, schema))
    }
    await rm(f.path, { force: true })
  }
  return result
}

export function checkRequired(facts: FileFacts[], schema: Schema, name: string): void {
  for (const field of schema.fields.filter((f: Field) => f.required)) {
    const nulls = facts.reduce((n, f) => n + (f.columns[String(field.id)]?.nulls ?? 0), 0)
    if (nulls > 0) {
      throw new DvError('INVALID_ARGUMENT', `${name} has ${nulls} null value(s) in column '${field.name}', which the table requires`, {
        hint: `fill in '${field.name}' in every row`,
        details: { file: name, column: field.name, nulls },
      })
    }
  }
}

/** Deletes empty files and describes the others, with their partition values. */
export async function toWrittenFiles(duck: Duck, facts: FileFacts[], spec: PartitionField[], schema: Schema): Promise<WrittenFile[]> {
  const written: WrittenFile[] = []
  for (const f of facts) {
    if (f.rows === 0) {
      await rm(f.path, { force: true })
      continue
    }
    const partition = await partitionValues(duck, f, spec, schema)
    written.push({ path: f.path, temporary: true, rows: f.rows, bytes: f.bytes, partition, columns: f.columns })
  }
  return written
}
