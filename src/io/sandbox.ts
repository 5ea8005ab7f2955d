/**
 * The sandbox: the DuckDB instance that evaluates anything derived from user
 * text (predicates today; contract rules and `dv query` later). It is a
 * second instance, apart from the one that ingests the user's files, because
 * DuckDB's file access is configured per instance, and ingest must read CSV
 * from anywhere on disk while a predicate must read nothing but table data.
 *
 * Before anything runs, the sandbox sets its spill directory, limits file
 * access to `allowed_directories` (dv's scratch directory and the
 * directories holding the store's object files) and `allowed_paths`, turns
 * `enable_external_access` off (no other file, no network, no extension
 * install or load) and sets `lock_configuration`, so no statement can
 * change any of that afterwards (test/io/sandbox.test.ts runs the attempts).
 * The allow-list of predicates (expression-check.ts) is the first defence;
 * this lock is the second, for whatever the first misses.
 */
import { mkdir } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { Duck, quoteLiteral, type DuckOptions } from './duck.js'

declare const sandboxBrand: unique symbol
/** A Duck whose configuration is locked as above. Code that runs user expressions takes a Sandbox, never a plain Duck. */
export type Sandbox = Duck & { readonly [sandboxBrand]: true }

export interface SandboxOptions extends DuckOptions {
  /** dv's scratch directory: scan output, rewritten files and spills (read and write). */
  scratchDir: string
  /** Directories the sandbox may read (the store's object files). */
  readableDirectories?: string[]
  /** Single files the sandbox may read (e.g. an input file stored as-is). */
  readablePaths?: string[]
  /** Spill directory name under scratchDir (distinct per instance sharing scratchDir). */
  spillName?: string
}

export const SANDBOX_SPILL = 'duckdb-sandbox-spill'

export async function openSandbox(options: SandboxOptions): Promise<Sandbox> {
  const scratch = resolve(options.scratchDir)
  await mkdir(scratch, { recursive: true })
  const duck = await Duck.open(options)
  try {
    await duck.useTempDirectory(join(scratch, options.spillName ?? SANDBOX_SPILL))
    const dirs = [scratch, ...(options.readableDirectories ?? [])].map(asDirectory)
    // one round trip (each statement alone cost 0.3-2 ms); a failure stops the rest, the lock last
    await duck.run([
      `SET allowed_directories = ${sqlList(dirs)}`,
      ...(options.readablePaths?.length ? [`SET allowed_paths = ${sqlList(options.readablePaths.map((p) => resolve(p)))}`] : []),
      'SET autoinstall_known_extensions = false',
      'SET autoload_known_extensions = false',
      'SET allow_community_extensions = false',
      'SET enable_external_access = false',
      'SET lock_configuration = true',
    ].join(';\n'))
  } catch (e) {
    duck.close()
    throw e
  }
  return duck as Sandbox
}

/** True when the sandbox opened with `options` may read `path` (a file under one of its directories, or one of its paths). */
export function sandboxCanRead(options: SandboxOptions, path: string): boolean {
  const file = resolve(path)
  if (options.readablePaths?.some((p) => resolve(p) === file)) return true
  return [options.scratchDir, ...(options.readableDirectories ?? [])].some((d) => file.startsWith(asDirectory(d)))
}

/** An absolute directory path ending in a separator, so '/a/b/' never admits '/a/bc'. */
function asDirectory(dir: string): string {
  const abs = resolve(dir)
  return abs.endsWith(sep) ? abs : abs + sep
}

function sqlList(items: string[]): string {
  return `[${items.map(quoteLiteral).join(', ')}]`
}
