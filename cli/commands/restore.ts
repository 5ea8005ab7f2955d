/** `dv restore --staged [TABLE...] [--change ID] [--branch NAME]`: unstage staged changes (format-spec/workspace.md#unstaging). */
import { usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatUnstage } from '../text.js'

export interface RestoreInput {
  tables: string[]
  staged?: boolean
  change?: string
  branch?: string
}

export async function runRestore(ctx: CliContext, input: RestoreInput): Promise<void> {
  if (!input.staged) {
    return usageError('dv restore needs --staged: the workspace holds only staged changes, no working files', 'unstage with `dv restore --staged [TABLE...]`; bring back a branch with `dv branch restore NAME@{N}`')
  }
  const result = await withRepository(ctx, (repo) => repo.unstage({
    ...(input.tables.length ? { tables: input.tables } : {}),
    ...(input.change === undefined ? {} : { change: input.change }),
    ...(input.branch === undefined ? {} : { branch: input.branch }),
  }))
  await emit(ctx, result, { text: formatUnstage })
}
