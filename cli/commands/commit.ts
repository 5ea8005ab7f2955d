import type { CliContext } from '../context.js'
import { withRepository } from '../context.js'
import { emit } from '../output.js'
import { formatCommit, noteChecks } from '../text.js'
import { catchInterrupts } from '../interrupt.js'
import type { CommitResult } from '../../src/index.js'
import { lineageOptions } from '../lineage.js'

export interface CommitInput {
  message: string
  idempotencyKey?: string
  allowEmpty?: boolean
  branch?: string
  /** false: --no-verify. */
  verify?: boolean
  meta?: string[]
}

export async function runCommit(ctx: CliContext, input: CommitInput): Promise<void> {
  const lineage = await lineageOptions(input.meta)
  const interrupts = catchInterrupts(ctx, 'the commit may have landed if its ref update had started: see `dv log` and `dv status`')
  let result: CommitResult
  try {
    result = await withRepository(ctx, (repo) => repo.commit({
      message: input.message,
      signal: interrupts.signal,
      lineage,
      ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
      ...(input.allowEmpty ? { allowEmpty: true } : {}),
      ...(input.branch === undefined ? {} : { branch: input.branch }),
      ...(input.verify === false ? { verify: false } : {}),
    }))
  } catch (e) {
    if (!interrupts.isAbort(e)) throw e
    return interrupts.report('nothing was committed; the staged changes are still staged', false)
  } finally {
    interrupts.dispose()
  }
  await emit(ctx, result, {
    text: formatCommit,
    view: async (r, color) => (await import('../views/load.js')).viewCommit(r, color),
  })
  noteChecks(ctx, result.checks, result.branch)
  if (interrupts.received) interrupts.report(`the commit had started and landed: ${result.snapshot}`, true)
}
