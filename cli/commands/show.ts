import { withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatShow } from '../text.js'

export interface ShowInput {
  rev: string
  table?: string
}

export async function runShow(ctx: CliContext, input: ShowInput): Promise<void> {
  const result = await withRepository(ctx, (repo) => repo.show(input.rev, input.table))
  await emit(ctx, result, {
    text: formatShow,
    view: async (r, color) => (await import('../views/load.js')).viewShow(r, color),
  })
}
