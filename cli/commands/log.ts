import { parseCount, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatLog } from '../text.js'

export interface LogInput {
  rev?: string
  table?: string
  maxCount?: string
  oneline?: boolean
  idempotencyKey?: string
}

export async function runLog(ctx: CliContext, input: LogInput): Promise<void> {
  const limit = await parseCount(input.maxCount, '-n')
  const result = await withRepository(ctx, (repo) => repo.log({
    ...(input.rev === undefined ? {} : { rev: input.rev }),
    ...(input.table === undefined ? {} : { table: input.table }),
    ...(limit === undefined ? {} : { limit }),
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
  }))
  const oneline = input.oneline === true
  await emit(ctx, result, {
    text: (r) => formatLog(r, oneline),
    view: async (r, color) => (await import('../views/load.js')).viewLog(r, oneline, color),
  })
}
