/** `dv compact TABLE [--target-size 128MB] [--where PRED] [--sort-by COLS] [--dry-run]`: rewrite small files, rows unchanged. */
import type { CompactResult } from '../../src/index.js'
import { withRepository, type CliContext } from '../context.js'
import { catchInterrupts } from '../interrupt.js'
import { emit } from '../output.js'
import { plural } from '../text.js'

export interface CompactInput {
  table: string
  targetSize?: string
  where?: string
  sortBy?: string
  dryRun?: boolean
  branch?: string
  message?: string
}

export async function runCompact(ctx: CliContext, input: CompactInput): Promise<void> {
  const { parseSize } = await import('../../src/index.js')
  const targetSize = input.targetSize === undefined ? undefined : parseSize(input.targetSize)
  const sortBy = input.sortBy === undefined ? undefined : input.sortBy.split(',').map((c) => c.trim())
  const interrupts = catchInterrupts(ctx, 'the compaction may have landed if its ref update had started: see `dv log`')
  let result: CompactResult
  try {
    result = await withRepository(ctx, (repo) => repo.compact(input.table, {
      signal: interrupts.signal,
      ...(targetSize === undefined ? {} : { targetSize }),
      ...(input.where === undefined ? {} : { where: input.where }),
      ...(sortBy === undefined ? {} : { sortBy }),
      ...(input.branch === undefined ? {} : { branch: input.branch }),
      ...(input.message === undefined ? {} : { message: input.message }),
      dryRun: input.dryRun === true,
    }))
  } catch (e) {
    if (interrupts.isAbort(e)) return interrupts.report(`nothing was committed: table '${input.table}' is unchanged`, false)
    throw e
  } finally {
    interrupts.dispose()
  }
  await emit(ctx, result, { text: formatCompact })
  if (interrupts.received && result.commit) interrupts.report(`the compaction had started its ref update and landed: ${result.commit.snapshot}`, true)
}

export function formatCompact(r: CompactResult): string[] {
  if (r.filesRemoved === 0) return [`nothing to compact in table '${r.table}' on branch '${r.branch}'`]
  const what = `${plural(r.filesRemoved, 'file')} (${plural(r.rows, 'row')}, ${mib(r.bytesBefore)}) in ${plural(r.partitions, 'partition')}`
  if (r.commit === null) return [`would rewrite ${what} of table '${r.table}'`]
  return [
    `[${r.branch} ${r.commit.snapshot.slice(0, 12)}] ${r.commit.message}`,
    `rewrote ${what} into ${plural(r.filesAdded, 'file')} (${mib(r.bytesAfter)}); rows unchanged`,
  ]
}

function mib(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 2 ** 10).toFixed(1)} KiB`
}
