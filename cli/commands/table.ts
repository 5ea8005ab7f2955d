/** `dv table set-key TABLE COL[,COL]`: give a table a primary key (format-spec/table-metadata.md#primary-key). */
import { parseColumnList, usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatSetKey } from '../text.js'

export interface SetKeyInput {
  table: string
  columns: string
  message?: string
  branch?: string
}

export async function runSetKey(ctx: CliContext, input: SetKeyInput): Promise<void> {
  const columns = await parseColumnList(input.columns)
  if (!columns?.length) return usageError('dv table set-key needs the key columns', 'for example `dv table set-key users id` or `dv table set-key orders country,id`')
  const result = await withRepository(ctx, (repo) => repo.setKey(input.table, columns, {
    ...(input.message === undefined ? {} : { message: input.message }),
    ...(input.branch === undefined ? {} : { branch: input.branch }),
  }))
  await emit(ctx, result, {
    text: formatSetKey,
    view: async (r, color) => (await import('../views/load.js')).viewMessage(color, '', formatSetKey(r)[0]!, ''),
  })
}
