import { withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatShow } from '../text.js'

export interface ShowInput {
  rev: string
  table?: string
}

export async function runShow(ctx: CliContext, input: ShowInput): Promise<void> {
  const result = await withRepository(ctx, async (repo) => {
    if (input.table !== undefined) return repo.show(input.rev, input.table)
    // `dv show TABLE`: one argument that names no revision but a table at HEAD
    try {
      return await repo.show(input.rev)
    } catch (e) {
      if ((e as { code?: string }).code !== 'NOT_FOUND') throw e
      return repo.show('HEAD', input.rev).catch(() => { throw e })
    }
  })
  await emit(ctx, result, {
    text: formatShow,
    view: async (r, color) => (await import('../views/load.js')).viewShow(r, color),
  })
}
