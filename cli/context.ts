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

/** Opens the repository, runs `fn`, closes it whatever happens. */
export async function withRepository<T>(ctx: CliContext, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const { Repository } = await import('../src/index.js')
  const repo = await Repository.open(ctx.location)
  try {
    return await fn(repo)
  } finally {
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
