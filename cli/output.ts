/**
 * The one place that decides how a result is printed: `--json` -> the plain
 * result object as one JSON document; a TTY -> an ink view (loaded lazily);
 * otherwise the stable plain text of cli/text.ts.
 */
import type { ReactElement } from 'react'
import type { CliContext } from './context.js'

export interface Rendering<T> {
  /** Plain text lines (no trailing newline). */
  text: (result: T) => string[]
  /** The ink view for a TTY; plain text is used when absent. */
  view?: (result: T, color: boolean) => Promise<ReactElement>
}

export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(JSON.stringify(value) + '\n')
}

export async function emit<T>(ctx: CliContext, result: T, rendering: Rendering<T>): Promise<void> {
  if (ctx.json) {
    writeJson(ctx, result)
    return
  }
  if (ctx.tty && rendering.view) {
    const element = await rendering.view(result, ctx.color)
    const { renderToString } = await import('ink')
    const frame = renderToString(element, { columns: ctx.stdout.columns || 100 })
    ctx.stdout.write(frame.endsWith('\n') ? frame : frame + '\n')
    return
  }
  const lines = rendering.text(result)
  if (lines.length) ctx.stdout.write(lines.join('\n') + '\n')
}
