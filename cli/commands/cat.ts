/** `dv cat`: the table's rows to stdout in the chosen format, nothing else. */
import { parseColumnList, parseCount, rowFormat, withRepository, type CliContext } from '../context.js'
import type { CatOptions } from '../../src/index.js'

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
  const format = await rowFormat(ctx, input.format, `dv cat ${input.table} --format ${input.format ?? ''} > ${input.table}`)
  const options: CatOptions = {
    format,
    ...(input.at === undefined ? {} : { at: input.at }),
    ...(columns === undefined ? {} : { columns }),
    ...(input.where === undefined ? {} : { where: input.where }),
    ...(limit === undefined ? {} : { limit }),
  }
  await withRepository(ctx, (repo) => repo.cat(input.table, ctx.stdout, options))
}
