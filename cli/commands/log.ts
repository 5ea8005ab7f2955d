import { parseCount, usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { compileLogFormat, formatLog } from '../text.js'

export interface LogInput {
  rev?: string
  table?: string
  maxCount?: string
  oneline?: boolean
  idempotencyKey?: string
  input?: string
  /** git-style placeholders: %h %H %s %an %ad %at %p %P %d %n %% */
  format?: string
}

export async function runLog(ctx: CliContext, input: LogInput): Promise<void> {
  const limit = await parseCount(input.maxCount, '-n')
  const line = input.format === undefined ? undefined : compileLogFormat(input.format)
  if (line !== undefined && typeof line !== 'function') {
    return usageError(`unknown placeholder ${line.unknown} in --format '${input.format}'`, 'use %h %H %s %an %ad %at %p %P %d %n or %%, e.g. --format=%h')
  }
  if (line !== undefined && (ctx.json || input.oneline)) return usageError(`--format cannot be combined with ${ctx.json ? '--json' : '--oneline'}`)
  const result = await withRepository(ctx, (repo) => repo.log({
    ...(input.rev === undefined ? {} : { rev: input.rev }),
    ...(input.table === undefined ? {} : { table: input.table }),
    ...(limit === undefined ? {} : { limit }),
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
    ...(input.input === undefined ? {} : { input: input.input }),
  }))
  const oneline = input.oneline === true
  if (line !== undefined) {
    // custom lines are for scripts: the same text on a terminal, no view
    await emit(ctx, result, { text: (r) => r.map(line) })
    return
  }
  await emit(ctx, result, {
    text: (r) => formatLog(r, oneline),
    view: async (r, color) => (await import('../views/load.js')).viewLog(r, oneline, color),
  })
}
