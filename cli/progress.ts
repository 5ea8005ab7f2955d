/**
 * A progress bar on stderr for long writes: only on a TTY, and only once the
 * work has run for more than a second (short commands print no flicker).
 */
import type { ReactElement } from 'react'
import type { Instance } from 'ink'
import type { CliContext } from './context.js'

export interface ProgressState {
  rows: number
  bytesRead?: number
  bytesTotal?: number
}

export interface ProgressReporter {
  update(p: ProgressState): void
  stop(): void
}

const DELAY_MS = 1000
const REFRESH_MS = 100

export function startProgress(ctx: CliContext, label: string, now: () => number = Date.now): ProgressReporter | undefined {
  if (!ctx.tty || !ctx.stderr.isTTY) return undefined
  let latest: ProgressState = { rows: 0 }
  // the rate counts from when these bytes began: stdin's spooling, then the engine reading the spooled file
  let phaseStart = now()
  let stopped = false
  let instance: Instance | undefined
  let view: ((p: ProgressState) => ReactElement) | undefined
  let refresh: NodeJS.Timeout | undefined
  const timer = setTimeout(() => {
    void Promise.all([import('ink'), import('./views/load.js')]).then(([{ render }, { viewProgress }]) => {
      if (stopped) return
      view = (p) => viewProgress(label, p, ctx.color, now() - phaseStart)
      instance = render(view(latest), { stdout: ctx.stderr, patchConsole: false })
      refresh = setInterval(() => instance?.rerender(view!(latest)), REFRESH_MS)
      refresh.unref()
    })
  }, DELAY_MS)
  timer.unref()
  return {
    update(p) {
      if ((p.bytesTotal === undefined) !== (latest.bytesTotal === undefined) || (p.bytesRead ?? 0) < (latest.bytesRead ?? 0)) phaseStart = now()
      latest = p
    },
    stop() {
      stopped = true
      clearTimeout(timer)
      if (refresh) clearInterval(refresh)
      // the final frame stays on stderr: a finished bar above the result
      if (instance && view) instance.rerender(view(latest))
      instance?.unmount()
    },
  }
}
