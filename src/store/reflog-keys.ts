/**
 * Reflog keys and where a ref's entries live (format-spec/reflog.md): a
 * ref's entries sit under `reflog/<ref with every '/' written as %2F>/`, so
 * one ref's log is one flat prefix that no other ref's log extends
 * ('branches%2Fa/' is not a prefix of 'branches%2Fa%2Fb/'), and each entry is
 * `<key>.json`, the key being the time in ms, zero-padded to 16 digits, '-'
 * and 16 random hex digits: sortable by time, and collision-free.
 */
import { randomBytes } from 'node:crypto'
import { DvError } from '../errors.js'
import { checkRefPath } from './ref-path.js'

export const REFLOG_DIR = 'reflog'
const KEY = /^\d{16}-[0-9a-f]{16}$/
/** Times up to year 2286 fit in 13 digits; 16 keep the order for any safe time. */
const TIME_DIGITS = 16

/** The directory (local) or key component (S3) holding `ref`'s entries. */
export function reflogFolder(ref: string): string {
  return checkRefPath(ref).replaceAll('/', '%2F')
}

/** The ref whose entries a folder holds, or undefined for a name that is no ref's folder. */
export function refOfFolder(folder: string): string | undefined {
  const ref = folder.replaceAll('%2F', '/')
  try {
    return reflogFolder(ref) === folder ? ref : undefined
  } catch {
    return undefined
  }
}

export function newReflogKey(timeMs: number): string {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) {
    throw new DvError('INVALID_ARGUMENT', `invalid reflog time ${timeMs}: expected milliseconds since the epoch`)
  }
  return `${String(timeMs).padStart(TIME_DIGITS, '0')}-${randomBytes(8).toString('hex')}`
}

export function isReflogKey(key: string): boolean {
  return KEY.test(key)
}

export function checkReflogKey(key: string): string {
  if (!isReflogKey(key)) throw new DvError('INVALID_ARGUMENT', `invalid reflog key '${key}': expected <16 digits>-<16 hex digits>`)
  return key
}

/** The file or object name of an entry. */
export function reflogFileName(key: string): string {
  return `${key}.json`
}

/** The key of a file or object name, or undefined for anything else (temp files, strays). */
export function keyOfFileName(name: string): string | undefined {
  const key = name.endsWith('.json') ? name.slice(0, -'.json'.length) : undefined
  return key !== undefined && isReflogKey(key) ? key : undefined
}

/** Attempts at a fresh key when one is taken (only a clash of 64 random bits, or our own lost-response retry). */
export const KEY_ATTEMPTS = 5

export function missingEntryError(ref: string, key: string, where: string): DvError {
  return new DvError('NOT_FOUND', `reflog entry ${key} of ref '${ref}' does not exist (${where})`, { details: { ref, key } })
}
