/** `dv reflog [REF] [-n N]`: every logged update of a branch or tag, newest first. */
import { parseCount, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatReflog } from '../text.js'

export interface ReflogInput {
  ref?: string
  maxCount?: string
}

export async function runReflog(ctx: CliContext, input: ReflogInput): Promise<void> {
  const limit = await parseCount(input.maxCount, '-n')
  const result = await withRepository(ctx, (repo) => repo.reflog(input.ref, limit === undefined ? {} : { limit }))
  await emit(ctx, result, {
    text: formatReflog,
    view: async (r, color) => (await import('../views/load.js')).viewReflog(r, color),
  })
}
