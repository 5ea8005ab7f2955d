/** The checkout action (`dv checkout`): switch HEAD to a branch, detach it at a snapshot, or create a branch and switch. */
import type { CheckoutResult } from '../../api-types.js'
import { DvError } from '../../errors.js'
import { createRef } from '../../refs/manage.js'
import { refAdmin, resolveReadable, type ActionContext } from './context.js'

/** With `create`, makes branch `rev` at `startPoint` (default HEAD) first. */
export async function checkout(ctx: ActionContext, rev: string, options: { create?: boolean; startPoint?: string }): Promise<CheckoutResult> {
  const workspace = ctx.workspace
  if (!workspace) throw new DvError('INVALID_ARGUMENT', 'checkout needs a workspace; this repository was opened by URL')
  if (options.create) {
    const ref = await createRef(refAdmin(ctx), 'branch', rev, options.startPoint, `checkout -b: created from ${options.startPoint ?? 'HEAD'}`)
    await workspace.writeHead({ branch: rev })
    return { branch: rev, snapshot: ref.snapshot, created: true, detached: false }
  }
  const resolved = await resolveReadable(ctx, rev)
  if (resolved.branch) {
    await workspace.writeHead({ branch: resolved.branch })
    return { branch: resolved.branch, snapshot: resolved.snapshot, created: false, detached: false }
  }
  await workspace.writeHead({ detached: resolved.snapshot })
  return { branch: null, snapshot: resolved.snapshot, created: false, detached: true }
}
