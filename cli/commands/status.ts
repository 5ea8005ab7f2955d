import { withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatStatus } from '../text.js'

export async function runStatus(ctx: CliContext): Promise<void> {
  const result = await withRepository(ctx, (repo) => repo.status())
  await emit(ctx, result, {
    text: formatStatus,
    view: async (r, color) => (await import('../views/load.js')).viewStatus(r, color),
  })
}
