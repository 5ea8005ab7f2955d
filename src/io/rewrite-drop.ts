/**
 * Which rows of a data file a copy-on-write rewrite drops, evaluated by
 * DuckDB over the file read as the current schema (by field id, like scans).
 * A predicate drops the rows it is true for (NULL keeps the row). Upsert
 * keys are loaded once into a temporary table (cast to the table's types);
 * per file, a semi join over the key columns alone marks the matching row
 * numbers in a bitstring, and the rewrite keeps the rows whose bit is 0: a
 * plain filter, so the kept rows stay in file order (a join would not).
 */
import { randomUUID } from 'node:crypto'
import { DvError } from '../errors.js'
import type { Schema } from '../format/types.js'
import type { OpenedSource, ScanFile } from './types.js'
import { Duck, isRowNumberClash, quoteIdent, quoteLiteral, toDvError } from './duck.js'
import { checkKeyNames, keySelectSql } from './input-checks.js'
import { checkPredicate } from './predicate.js'
import type { Sandbox } from './sandbox.js'
import { castFields, filesRelation } from './scan.js'
import { emptyRelation } from './predicate.js'
import { inputRelationOf } from './source.js'
import { explainWriteError } from './write-parquet.js'

export interface DropRule {
  /** Counts the rows of `file` to drop (and remembers them for `keep`). */
  count(file: ScanFile): Promise<number>
  /** SQL condition over fileRelation(file, ...) that keeps a row. */
  keep: string
  /** True when the rule needs the `__dv_row` column (the row's position in the file). */
  rowNumbers: boolean
  release(): Promise<void>
}

/** The rows of a data file as the current schema, optionally with `__dv_row`. */
export function fileRelation(file: ScanFile, schema: Schema, rowNumbers: boolean, windowed = false): string {
  const select = castFields(file.columns, schema.fields)
  const path = quoteLiteral(file.path)
  if (!rowNumbers) return `SELECT ${select.join(', ')} FROM read_parquet(${path})`
  // A column named file_row_number hides DuckDB's; a window with an empty OVER also numbers rows in file order.
  if (windowed) return `SELECT ${select.join(', ')}, row_number() OVER () - 1 AS __dv_row FROM read_parquet(${path})`
  return `SELECT ${select.join(', ')}, file_row_number AS __dv_row FROM read_parquet(${path}, file_row_number=true)`
}

/** A predicate drops the rows it is true for; it is checked and rendered by predicate.ts and runs in the sandbox only. */
export async function prepareWhere(sandbox: Sandbox, where: string, schema: Schema): Promise<DropRule> {
  const { sql } = await checkPredicate(sandbox, where, schema)
  const matches = `coalesce(${sql}, false)`
  return {
    async count(file) {
      const [row] = await sandbox.all(`SELECT count(*) AS n FROM (${fileRelation(file, schema, false)}) AS t WHERE ${matches}`)
      return Number(row.n)
    },
    keep: `NOT ${matches}`,
    rowNumbers: false,
    async release() {},
  }
}

/** Rows of `files` (read as `schema`) for which `where` is not true: the overwrite --where check over the written input. */
export async function countNotMatching(sandbox: Sandbox, files: ScanFile[], schema: Schema, where: string): Promise<number> {
  const rule = await prepareWhere(sandbox, where, schema)
  let outside = 0
  for (const file of files) {
    try {
      outside += file.rows - (await rule.count(file))
    } catch (e) {
      throw toDvError(e, `cannot check the input against the predicate '${where}'`, { details: { file: file.path } })
    }
  }
  return outside
}

/**
 * Keys from `from`: the opened input (cast to the table's types), or data
 * files already written as the table's schema (a quarantining upsert's
 * passing rows: the rows it quarantined replace nothing).
 */
export async function prepareKeys(duck: Duck, columns: string[], from: OpenedSource | ScanFile[], schema: Schema): Promise<DropRule> {
  let keys: string
  if (Array.isArray(from)) {
    keys = `SELECT ${columns.map((c, i) => `${quoteIdent(c)} AS k${i}`).join(', ')} FROM (${from.length ? filesRelation(from, schema.fields) : `SELECT * FROM ${emptyRelation(schema)} AS e`}) AS i`
  } else {
    const input = inputRelationOf(from, duck)
    checkKeyNames(input, columns, schema)
    keys = keySelectSql(input, columns, schema)
  }
  const suffix = randomUUID().replace(/-/g, '')
  const table = `__dv_keys_${suffix}`
  const hits = `__dv_hits_${suffix}`
  try {
    await duck.run(`CREATE TEMP TABLE ${table} AS ${keys}`)
  } catch (e) {
    if (Array.isArray(from)) throw toDvError(e, 'cannot read the keys of the rows to upsert')
    throw await explainWriteError(e, inputRelationOf(from, duck))
  }
  const on = columns.map((c, i) => `f.${quoteIdent(c)} = k.k${i}`).join(' AND ')
  return {
    async count(file) {
      const mark = (windowed: boolean) =>
        `SET VARIABLE ${hits} = (SELECT bitstring_agg(__dv_row, 0, ${file.rows - 1}) FROM (${fileRelation(file, schema, true, windowed)}) AS f SEMI JOIN ${table} AS k ON ${on})`
      try {
        await duck.run(mark(false)).catch((e: unknown) => (isRowNumberClash(e) ? duck.run(mark(true)) : Promise.reject(e)))
      } catch (e) {
        if (/outside of provided min and max range/i.test(e instanceof Error ? e.message : String(e))) {
          throw new DvError('CORRUPT', `data file ${file.path} has more rows than the ${file.rows} its manifest entry records`, { cause: e, hint: 'run dv fsck' })
        }
        throw e
      }
      const [row] = await duck.all(`SELECT coalesce(bit_count(getvariable(${quoteLiteral(hits)})), 0) AS n`)
      return Number(row.n)
    },
    keep: `get_bit(getvariable(${quoteLiteral(hits)}), __dv_row::INTEGER) = 0`,
    rowNumbers: true,
    async release() {
      await duck.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined)
      await duck.run(`RESET VARIABLE ${hits}`).catch(() => undefined)
    },
  }
}

export function rewriteError(e: unknown, file: ScanFile): DvError {
  return toDvError(e, `cannot rewrite data file ${file.path}`, {
    hint: e instanceof Error && /^IO Error/.test(e.message) ? 'a data file may be missing from the store; run dv fsck' : undefined,
    details: { file: file.path },
  })
}
