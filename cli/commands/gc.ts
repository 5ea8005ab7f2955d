/** `dv gc [--dry-run] [--grace DURATION] [--force] [--list-all]`: delete what nothing live reaches, older than the grace period. */
import type { GcResult } from '../../src/index.js'
import { withRepository, type CliContext } from '../context.js'
import { catchInterrupts } from '../interrupt.js'
import { emit } from '../output.js'
import { plural } from '../text.js'

export interface GcInput {
  dryRun?: boolean
  grace?: string
  force?: boolean
  listAll?: boolean
}

export async function runGc(ctx: CliContext, input: GcInput = {}): Promise<void> {
  const { parseDuration } = await import('../../src/index.js')
  const graceMs = input.grace === undefined ? undefined : parseDuration(input.grace)
  const interrupts = catchInterrupts(ctx, 'objects it had moved aside are put back by the next dv gc')
  let result: GcResult
  try {
    result = await withRepository(ctx, (repo) => repo.gc({
      dryRun: input.dryRun === true, force: input.force === true, listAll: input.listAll === true, signal: interrupts.signal,
      ...(graceMs === undefined ? {} : { graceMs }),
    }))
  } catch (e) {
    if (interrupts.isAbort(e)) return interrupts.report('dv gc stopped; what it had deleted is gone (nothing live), the rest is left for the next dv gc', false)
    throw e
  } finally {
    interrupts.dispose()
  }
  await emit(ctx, result, { text: formatGc })
}

/** The dry run prints the same list the real run deletes, one object id a line after the summary. */
export function formatGc(r: GcResult): string[] {
  const verb = r.dryRun ? 'would delete' : 'deleted'
  const lines = [
    `live: ${plural(r.mark.liveObjects, 'object')} from ${plural(r.mark.refs, 'ref')}, ${r.mark.reflogEntries} reflog ${r.mark.reflogEntries === 1 ? 'entry' : 'entries'}, ${plural(r.mark.stagedChanges, 'staged change')}${r.mark.leases > 0 ? `, ${plural(r.mark.leases, 'lease')} of other workspaces` : ''}`,
    r.inventory.source === 'listing'
      ? `stored: ${plural(r.stored.objects, 'object')} (${formatSize(r.stored.bytes)}), listed`
      : `stored: ${plural(r.stored.objects, 'object')} (${formatSize(r.stored.bytes)}), from the inventory and ${plural(r.inventory.logged, 'line')} of the generation log (no listing)`,
    `grace period: ${formatGrace(r.graceMs)} (objects written before ${new Date(r.cutoffMs).toISOString()} by the store's clock may go)`,
    `${verb} ${plural(r.deleted.length, 'object')} (${formatSize(r.deletedBytes)}); kept ${plural(r.young.objects, 'unreachable object')} younger than the grace period`,
  ]
  if (r.mark.expiredLeases > 0) lines.push(`ignored ${plural(r.mark.expiredLeases, 'expired lease')} (workspaces unused for their lease's time to live)`)
  if (r.refreshed > 0) lines.push(`kept ${plural(r.refreshed, 'object')} a writer reused while gc ran`)
  if (r.restored > 0) lines.push(`put back ${plural(r.restored, 'object')} an interrupted gc had moved aside`)
  if (r.temporary.length > 0) lines.push(`${r.dryRun ? 'would remove' : 'removed'} ${plural(r.temporary.length, 'temporary file')} of dv processes that are gone`)
  if (r.uploads.length > 0) lines.push(`${r.dryRun ? 'would abort' : 'aborted'} ${plural(r.uploads.length, 'incomplete multipart upload')}`)
  for (const d of r.deleted) lines.push(`${r.dryRun ? 'would delete' : 'deleted'} ${d.id}`)
  return lines
}

function formatGrace(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

function formatSize(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`
  return `${n} bytes`
}
