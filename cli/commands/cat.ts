/** `dv cat`: the table's rows to stdout in the chosen format, nothing else. */
import { parseColumnList, parseCount, usageError, withRepository, type CliContext } from '../context.js'
import type { CatOptions, OutputFormat } from '../../src/index.js'

export interface CatInput {
  table: string
  at?: string
  format?: string
  columns?: string
  where?: string
  limit?: string
}

export async function runCat(ctx: CliContext, input: CatInput): Promise<void> {
  const limit = await parseCount(input.limit, '--limit')
  const columns = await parseColumnList(input.columns)
  let format = (input.format ?? 'csv') as OutputFormat
  if (ctx.json) {
    if (input.format !== undefined) return usageError(`--json prints a JSON array of rows; it cannot be combined with --format ${input.format}`)
    format = 'json'
  }
  if ((format === 'parquet' || format === 'arrow') && ctx.stdout.isTTY) {
    return usageError(`refusing to write ${format} bytes to a terminal`, `redirect stdout to a file, e.g. dv cat ${input.table} --format ${format} > ${input.table}.${format}`)
  }
  const options: CatOptions = {
    format,
    ...(input.at === undefined ? {} : { at: input.at }),
    ...(columns === undefined ? {} : { columns }),
    ...(input.where === undefined ? {} : { where: input.where }),
    ...(limit === undefined ? {} : { limit }),
  }
  await withRepository(ctx, (repo) => repo.cat(input.table, ctx.stdout, options))
}
