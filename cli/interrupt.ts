/**
 * Ctrl-C (SIGINT) and SIGTERM during `dv write` and `dv commit`. The first
 * signal aborts the library call through its AbortSignal: the library stops
 * the work (interrupting the engine), commits nothing and removes its
 * temporary files as the repository closes; the command then says what is
 * known and exits 128 + the signal's number (130, 143), as shells expect. A
 * second signal while that runs exits at once; what it leaves in .dv/tmp is
 * removed by the next write or read (src/store/owner.ts).
 * Under --json, an interruption that left nothing to print is reported as the
 * command's one document, `{"error":{"code":"INTERRUPTED",...}}`, like any
 * error; when the result was printed (the commit landed) it stays the one.
 */
import { exitState, SIGNAL_EXIT_CODES, type CliContext, type HandledSignal } from './context.js'

export interface Interrupts {
  readonly signal: AbortSignal
  /** The first signal received, if any. */
  readonly received: HandledSignal | undefined
  /** Whether `e` is the rejection of a call this aborted. */
  isAbort(e: unknown): boolean
  /**
   * Prints `interrupted: WHAT` and sets the exit code (130 or 143). `printed`:
   * whether the command already printed its result (then no JSON document is
   * added: --json prints exactly one).
   */
  report(what: string, printed: boolean): void
  dispose(): void
}

/**
 * Catches SIGINT and SIGTERM until dispose(). `afterForce` says what is known
 * when a second signal ends the process before the work has unwound.
 */
export function catchInterrupts(ctx: CliContext, afterForce: string): Interrupts {
  const controller = new AbortController()
  let received: HandledSignal | undefined
  const handler = (name: HandledSignal) => {
    if (received) {
      ctx.stderr.write(`interrupted again: stopped at once; ${afterForce}\n`)
      process.exit(SIGNAL_EXIT_CODES[name])
    }
    received = name
    ctx.stderr.write(`${name === 'SIGINT' ? '^C ' : ''}stopping (${name})... press Ctrl-C again to stop at once\n`)
    controller.abort(new DOMException(`interrupted by ${name}`, 'AbortError'))
  }
  const onInt = () => handler('SIGINT')
  const onTerm = () => handler('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  return {
    signal: controller.signal,
    get received() {
      return received
    },
    isAbort: (e) => received !== undefined && e === controller.signal.reason,
    report(what, printed) {
      const name = received ?? 'SIGINT'
      ctx.stderr.write(`interrupted: ${what}\n`)
      exitState.code = SIGNAL_EXIT_CODES[name]
      if (ctx.json && !printed) {
        const error = { code: 'INTERRUPTED', message: `interrupted by ${name}: ${what}`, exitCode: exitState.code }
        ctx.stdout.write(JSON.stringify({ error }) + '\n')
      }
    },
    dispose() {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
    },
  }
}
