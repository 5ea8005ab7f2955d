/**
 * `dv merge SOURCE [--into BRANCH] [-m MSG] [--no-ff] [--strategy ours|theirs]
 * [--dry-run] [--allow-unrelated] [--idempotency-key KEY]`, `dv revert REV [-m PARENT]` and
 * `dv cherry-pick REV [-m PARENT]`. A conflict prints its report (the result
 * document under --json) and exits 4; nothing was changed.
 */
import type { MergeConflict, MergeResult, MergeStrategy, RevertResult } from '../../src/index.js'
import { exitState, parseCount, usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatConflicts, formatMerge, formatRevert } from '../merge-text.js'
import { catchInterrupts } from '../interrupt.js'
import { noteChecks } from '../text.js'

export interface MergeInput {
  source: string
  into?: string
  message?: string
  ff?: boolean
  strategy?: string
  dryRun?: boolean
  allowUnrelated?: boolean
  idempotencyKey?: string
  /** false: --no-verify. */
  verify?: boolean
}

export interface RevertInput {
  rev: string
  mainline?: string
  message?: string
  branch?: string
  allowEmpty?: boolean
  strategy?: string
  dryRun?: boolean
  /** false: --no-verify. */
  verify?: boolean
}

async function strategyOf(s: string | undefined): Promise<MergeStrategy | undefined> {
  if (s === undefined || s === 'ours' || s === 'theirs') return s
  return usageError(`invalid value '${s}' for --strategy: expected ours or theirs`)
}

/** A CONFLICT carrying a report: printed as the command's result (exit 4) rather than as a bare error. */
async function reportConflict(ctx: CliContext, e: unknown, what: string): Promise<boolean> {
  const { EXIT_CODES, isDvError } = await import('../../src/index.js')
  const conflicts = isDvError(e, 'CONFLICT') ? (e.details as { conflicts?: MergeConflict[] }).conflicts : undefined
  if (!conflicts) return false
  const error = { code: 'CONFLICT', message: (e as Error).message, hint: (e as { hint?: string }).hint, exitCode: EXIT_CODES.CONFLICT }
  await emit(ctx, { status: 'conflict', conflicts, error }, { text: () => [`${what} conflicts (nothing was changed):`, ...formatConflicts(conflicts)] })
  if (!ctx.json && error.hint) ctx.stderr.write(`hint: ${error.hint}\n`)
  exitState.code = EXIT_CODES.CONFLICT
  return true
}

export async function runMerge(ctx: CliContext, input: MergeInput): Promise<void> {
  const strategy = await strategyOf(input.strategy)
  const interrupts = catchInterrupts(ctx, 'the merge may have landed if its ref update had started: see `dv log` and `dv reflog`')
  let result: MergeResult
  try {
    result = await withRepository(ctx, (repo) => repo.merge(input.source, {
      signal: interrupts.signal,
      ...(input.into === undefined ? {} : { into: input.into }),
      ...(input.message === undefined ? {} : { message: input.message }),
      ...(input.ff === false ? { noFf: true } : {}),
      ...(strategy ? { strategy } : {}),
      ...(input.dryRun ? { dryRun: true } : {}),
      ...(input.allowUnrelated ? { allowUnrelated: true } : {}),
      ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
      ...(input.verify === false ? { verify: false } : {}),
    }))
  } catch (e) {
    if (interrupts.isAbort(e)) return interrupts.report(`nothing was merged: ${input.into === undefined ? 'the branch' : `branch '${input.into}'`} is unchanged`, false)
    if (await reportConflict(ctx, e, `merge of ${input.source}`)) return
    throw e
  } finally {
    interrupts.dispose()
  }
  await emit(ctx, result, { text: formatMerge })
  noteChecks(ctx, result.checks, result.branch)
  if (interrupts.received) interrupts.report(`the merge had started its ref update and landed: ${result.snapshot}`, true)
  if (result.status === 'conflict') exitState.code = (await import('../../src/index.js')).EXIT_CODES.CONFLICT
}

export async function runRevert(ctx: CliContext, kind: 'revert' | 'cherry-pick', input: RevertInput): Promise<void> {
  const strategy = await strategyOf(input.strategy)
  const mainline = await parseCount(input.mainline, '-m')
  const interrupts = catchInterrupts(ctx, `the ${kind} may have landed if its ref update had started: see \`dv log\` and \`dv reflog\``)
  let result: RevertResult
  try {
    result = await withRepository(ctx, (repo) => {
      const options = {
        signal: interrupts.signal,
        ...(mainline === undefined ? {} : { mainline }),
        ...(input.message === undefined ? {} : { message: input.message }),
        ...(input.branch === undefined ? {} : { branch: input.branch }),
        ...(input.allowEmpty ? { allowEmpty: true } : {}),
        ...(strategy ? { strategy } : {}),
        ...(input.dryRun ? { dryRun: true } : {}),
        ...(input.verify === false ? { verify: false } : {}),
      }
      return kind === 'revert' ? repo.revert(input.rev, options) : repo.cherryPick(input.rev, options)
    })
  } catch (e) {
    if (interrupts.isAbort(e)) return interrupts.report(`nothing was committed: ${input.branch === undefined ? 'the branch' : `branch '${input.branch}'`} is unchanged`, false)
    if (await reportConflict(ctx, e, `${kind} of ${input.rev}`)) return
    throw e
  } finally {
    interrupts.dispose()
  }
  await emit(ctx, result, { text: formatRevert(kind) })
  noteChecks(ctx, result.checks, result.branch)
  if (interrupts.received) interrupts.report(`the ${kind} had started its ref update and landed: ${result.snapshot}`, true)
  if (result.status === 'conflict') exitState.code = (await import('../../src/index.js')).EXIT_CODES.CONFLICT
}
