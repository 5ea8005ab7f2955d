/**
 * `dv diff [REV1 [REV2]] [TABLE...]`: what changed per table, `--stat` one
 * line per table, or with `--rows` the row-level changes (a change feed with
 * `--format ndjson|csv|parquet`). Operands split like git's: leading
 * revisions then tables, or exactly as given around `--`.
 */
import { checkBinaryOut, parseColumnList, parseCount, usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatDiff, formatDiffStat } from '../diff-text.js'
import type { DiffResult, DiffRowsResult, DiffRowsToOptions, OutputFormat, Repository } from '../../src/index.js'

export interface DiffInput {
  operands: string[]
  /** How many operands came after `--` (undefined: there was no `--`). */
  afterDash?: number
  stat?: boolean
  rows?: boolean
  format?: string
  key?: string
  columns?: string
  where?: string
  limit?: string
}

const ROW_OPTIONS = ['format', 'key', 'columns', 'where', 'limit'] as const

async function checkOptions(input: DiffInput): Promise<void> {
  if (!input.rows) {
    const given = ROW_OPTIONS.find((o) => input[o] !== undefined)
    if (given) return usageError(`--${given} applies to row-level changes: add --rows`, `e.g. dv diff main dev --rows --${given} ...`)
  } else if (input.stat) {
    return usageError('--stat and --rows cannot be combined', 'use --stat for one line per table, --rows for the changed rows')
  }
}

async function sides(repo: Repository, input: DiffInput): Promise<{ from?: string; to?: string; tables?: string[] }> {
  if (input.afterDash === undefined) {
    const split = await repo.splitDiffOperands(input.operands)
    return { ...split, ...(split.tables.length ? {} : { tables: undefined }) }
  }
  const revs = input.operands.slice(0, input.operands.length - input.afterDash)
  const tables = input.operands.slice(revs.length)
  if (revs.length > 2) return usageError(`at most two revisions before --, got ${revs.length}: ${revs.join(' ')}`)
  return { from: revs[0], to: revs[1], tables: tables.length ? tables : undefined }
}

export async function runDiff(ctx: CliContext, input: DiffInput): Promise<void> {
  await checkOptions(input)
  const limit = await parseCount(input.limit, '--limit')
  const columns = await parseColumnList(input.columns)
  const key = await parseColumnList(input.key)
  await withRepository(ctx, async (repo) => {
    const which = await sides(repo, input)
    const result = await repo.diff(which)
    if (!input.rows) {
      await emit(ctx, result, {
        text: input.stat ? formatDiffStat : formatDiff,
        ...(input.stat ? {} : { view: async (r: DiffResult, color: boolean) => (await import('../views/load.js')).viewDiff(r, color) }),
      })
      return
    }
    // the named tables even when unchanged (a feed always has its header), else every changed table
    const tables = which.tables ?? result.tables.map((t) => t.table)
    const options: DiffRowsToOptions = {
      ...(which.from === undefined ? {} : { from: which.from }),
      ...(which.to === undefined ? {} : { to: which.to }),
      ...(key === undefined ? {} : { key }),
      ...(columns === undefined ? {} : { columns }),
      ...(input.where === undefined ? {} : { where: input.where }),
      ...(limit === undefined ? {} : { limit }),
    }
    await streamRows(ctx, repo, result, tables, options, input.format)
  })
}

async function streamRows(ctx: CliContext, repo: Repository, result: DiffResult, tables: string[], options: DiffRowsToOptions, asked: string | undefined): Promise<void> {
  if (ctx.json) {
    if (asked !== undefined) return usageError(`--json prints one JSON document; it cannot be combined with --format ${asked}`)
    ctx.stdout.write(`{"from":${JSON.stringify(result.from)},"to":${JSON.stringify(result.to)},"tables":[`)
    for (const [i, table] of tables.entries()) {
      ctx.stdout.write(`${i ? ',' : ''}{"table":${JSON.stringify(table)},"rows":`)
      const counts = await repo.diffRowsTo(table, ctx.stdout, { ...options, format: 'json' })
      ctx.stdout.write(`,"counts":${JSON.stringify(countsOf(counts))}}`)
    }
    ctx.stdout.write(']}\n')
    return
  }
  const format = (asked ?? 'csv') as OutputFormat
  if ((format === 'parquet' || format === 'arrow') && tables.length !== 1) {
    return usageError(`--format ${format} writes one table, and ${tables.length} changed: ${tables.join(', ') || '(none)'}`, 'name one table: dv diff REV1 REV2 TABLE --rows --format parquet')
  }
  await checkBinaryOut(ctx, format, '> changes')
  for (const table of tables) {
    // several tables of CSV are told apart like `head` does with files; NDJSON rows carry _table
    if (format === 'csv' && tables.length > 1) ctx.stdout.write(`==> ${table} <==\n`)
    const counts = await repo.diffRowsTo(table, ctx.stdout, { ...options, format, tableColumn: format === 'ndjson' })
    if (ctx.tty) ctx.stderr.write(`${table}: ${counts.inserted} inserted, ${counts.deleted} deleted, ${counts.updated} updated${counts.rows < counts.inserted + counts.deleted + 2 * counts.updated ? ` (${counts.rows} rows shown)` : ''}\n`)
  }
}

function countsOf(r: DiffRowsResult): Pick<DiffRowsResult, 'rows' | 'inserted' | 'deleted' | 'updated' | 'key'> {
  return { rows: r.rows, inserted: r.inserted, deleted: r.deleted, updated: r.updated, key: r.key }
}
