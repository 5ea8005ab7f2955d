import type { CliContext } from '../context.js'
import { withRepository } from '../context.js'
import { emit } from '../output.js'
import { formatCommit } from '../text.js'

export interface CommitInput {
  message: string
  idempotencyKey?: string
  allowEmpty?: boolean
  branch?: string
}

export async function runCommit(ctx: CliContext, input: CommitInput): Promise<void> {
  const result = await withRepository(ctx, (repo) => repo.commit({
    message: input.message,
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
    ...(input.allowEmpty ? { allowEmpty: true } : {}),
    ...(input.branch === undefined ? {} : { branch: input.branch }),
  }))
  await emit(ctx, result, {
    text: formatCommit,
    view: async (r, color) => (await import('../views/load.js')).viewCommit(r, color),
  })
}
