/**
 * What every command gets: where the repository is, how to print, and small
 * argument parsers whose failures are usage errors (exit 2).
 */
import path from 'node:path'
import type { OutputFormat, Repository } from '../src/index.js'

export interface CliContext {
  /** `--json`: print exactly one JSON document on stdout. */
  json: boolean
  /** `-C DIR` / `DV_DIR` / cwd: a directory (resolved) or a store URL. */
  location: string
  /** Directory relative paths (FILE, init DIR) are resolved against: -C DIR, else the cwd. */
  cwd: string
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  /** stdout is a terminal and not --json: ink views. */
  tty: boolean
  /** Colours allowed (TTY and NO_COLOR unset). */
  color: boolean
}

export interface GlobalOptions {
  json?: boolean
  C?: string
}

export function isStoreUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location)
}

export function createContext(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliContext {
  const cwd = process.cwd()
  const given = globals.C ?? (env.DV_DIR ? env.DV_DIR : undefined)
  const location = given === undefined ? cwd : isStoreUrl(given) ? given : path.resolve(cwd, given)
  const json = globals.json === true
  const tty = !json && process.stdout.isTTY === true
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== ''
  return {
    json,
    location,
    // like git -C: relative paths are taken from DIR; DV_DIR leaves them relative to the cwd
    cwd: globals.C !== undefined && !isStoreUrl(location) ? location : cwd,
    stdout: process.stdout,
    stderr: process.stderr,
    tty,
    color: tty && !noColor && env.TERM !== 'dumb',
  }
}

/** The exit code of a command a signal stopped: 128 + the signal's number, as shells expect. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const
export type HandledSignal = keyof typeof SIGNAL_EXIT_CODES

/**
 * For a command that does not catch interrupts itself (a read: `dv cat`,
 * `dv diff --rows`, `dv query`, ...): the first SIGINT or SIGTERM removes the
 * repository's scratch directory, where a read spools its output and the
 * engine spills, and exits 130 or 143, as the default action would, leaving
 * nothing in .dv/tmp. Under a command that catches them (interrupt.ts's
 * catchInterrupts, the query shell), the signal is that command's. Returns the undo.
 */
export function discardScratchOnSignal(repo: { discardScratch(): void }): () => void {
  const handlers = (Object.keys(SIGNAL_EXIT_CODES) as HandledSignal[]).map((name) => {
    const handler = () => {
      if (process.listenerCount(name) > 1) return
      repo.discardScratch()
      process.exit(SIGNAL_EXIT_CODES[name])
    }
    process.on(name, handler)
    return () => process.off(name, handler)
  })
  return () => handlers.forEach((off) => off())
}

/** Opens the repository, runs `fn`, closes it whatever happens. */
export async function withRepository<T>(ctx: CliContext, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const { Repository } = await import('../src/index.js')
  const repo = await Repository.open(ctx.location)
  const undo = discardScratchOnSignal(repo)
  try {
    return await fn(repo)
  } finally {
    undo()
    await repo.close()
  }
}

export async function usageError(message: string, hint?: string): Promise<never> {
  const { DvError } = await import('../src/index.js')
  throw new DvError('INVALID_ARGUMENT', message, hint === undefined ? {} : { hint })
}

/** Refuses Parquet or Arrow bytes to a terminal; `example` is the command line to suggest, up to its redirection. */
export async function checkBinaryOut(ctx: CliContext, format: OutputFormat, example: string): Promise<void> {
  if ((format === 'parquet' || format === 'arrow') && ctx.stdout.isTTY) {
    return usageError(`refusing to write ${format} bytes to a terminal`, `redirect stdout to a file, e.g. ${example}.${format}`)
  }
}

/** The format of a command that prints rows (`dv cat`, `dv query`): `--format` (default csv), or JSON under --json. */
export async function rowFormat(ctx: CliContext, asked: string | undefined, example: string): Promise<OutputFormat> {
  if (ctx.json && asked !== undefined) return usageError(`--json prints a JSON array of rows; it cannot be combined with --format ${asked}`)
  const format = ctx.json ? 'json' : (asked ?? 'csv') as OutputFormat
  await checkBinaryOut(ctx, format, example)
  return format
}

/** A non-negative integer option (`-n`, `--limit`); anything else is a usage error. */
export async function parseCount(value: string | undefined, flag: string): Promise<number | undefined> {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value.trim()))) {
    return usageError(`invalid value '${value}' for ${flag}: expected a non-negative integer`)
  }
  return Number(value.trim())
}

/** `--columns a,b` -> ['a', 'b'] (commas split, blanks trimmed, empty names rejected). */
export async function parseColumnList(value: string | undefined): Promise<string[] | undefined> {
  if (value === undefined) return undefined
  const names = value.split(',').map((s) => s.trim())
  if (names.some((n) => n === '')) {
    return usageError(`invalid value '${value}' for --columns: expected comma-separated column names`, 'for example --columns id,ts')
  }
  return names
}

/**
 * The exit code of a command that printed its full result but must still
 * fail (`dv fsck` finding problems): set here, returned by main(), so that
 * `--json` prints one document and no second error object.
 */
export const exitState = { code: 0 }
