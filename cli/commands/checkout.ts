import { usageError, withRepository, type CliContext } from '../context.js'
import { emit } from '../output.js'
import { formatCheckout } from '../text.js'

export interface CheckoutInput {
  rev?: string
  /** `-b NAME`: create branch NAME (at rev, default HEAD) and switch to it. */
  create?: string
}

export async function runCheckout(ctx: CliContext, input: CheckoutInput): Promise<void> {
  const { rev, create } = input
  if (create === undefined && rev === undefined) {
    return usageError('dv checkout needs a REV, or -b NAME [REV]', "for example 'dv checkout main' or 'dv checkout -b backfill'")
  }
  const result = await withRepository(ctx, async (repo) => {
    if (create === undefined) return repo.checkout(rev!)
    return repo.checkout(create, { create: true, ...(rev === undefined ? {} : { startPoint: rev }) })
  })
  await emit(ctx, result, {
    text: formatCheckout,
    view: async (r, color) => (await import('../views/load.js')).viewMessage(color, '', formatCheckout(r)[0]!, ''),
  })
}
