/** Mapping of operating-system errors to DvError STORAGE naming the path. */
import { DvError } from '../errors.js'

export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function hasErrno(e: unknown, ...codes: string[]): boolean {
  const code = errnoCode(e)
  return code !== undefined && codes.includes(code)
}

const HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full; free some space and retry',
  EDQUOT: 'the disk quota is exhausted; free some space and retry',
  EACCES: 'check the permissions of the repository directory',
  EPERM: 'check the permissions of the repository directory',
  EROFS: 'the filesystem is read-only',
  EIO: 'the disk reported an I/O error; check the device and run `dv fsck`',
  EMFILE: 'too many open files; raise the limit (ulimit -n) and retry',
}

/** Wraps an OS error as STORAGE (`action` is e.g. 'cannot write'); DvErrors pass through. */
export function storageError(e: unknown, action: string, path: string): DvError {
  if (e instanceof DvError) return e
  const code = errnoCode(e) ?? 'error'
  const reason = e instanceof Error ? e.message : String(e)
  const hint = HINTS[code]
  return new DvError('STORAGE', `${action} ${path}: ${code === 'error' ? reason : code}`, {
    cause: e,
    details: { path, errno: code },
    ...(hint === undefined ? {} : { hint }),
  })
}
