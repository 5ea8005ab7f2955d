/**
 * Store-level checks of ref names ('branches/main', 'tags/v1', ...). The refs
 * layer applies the user-facing rules (src/ids.ts); the store only makes sure
 * a name is a safe relative path: '/'-separated components of [A-Za-z0-9._-],
 * none empty, none starting with '.', none ending with '.lock'.
 */
import { DvError } from '../errors.js'
import { isObjectId, type SnapshotId } from '../ids.js'

const COMPONENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/

export function refPathProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty'
  if (name.length > 255) return 'it is longer than 255 characters'
  for (const part of name.split('/')) {
    if (part.length === 0) return "it has an empty component (leading, trailing or double '/')"
    if (!COMPONENT.test(part)) return `component '${part}' may only contain letters, digits and . _ - and must not start with '.'`
    if (part.endsWith('.lock')) return `component '${part}' ends with '.lock'`
  }
  return undefined
}

export function checkRefPath(name: string): string {
  const problem = refPathProblem(name)
  if (problem !== undefined) {
    throw new DvError('INVALID_ARGUMENT', `invalid ref '${String(name)}': ${problem}`, { details: { ref: name } })
  }
  return name
}

/** A listing prefix: '' or a ref-name start such as 'branches/' or 'branches/fea'. */
export function checkRefPrefix(prefix: string): string {
  if (prefix === '') return prefix
  const probe = prefix.endsWith('/') ? `${prefix}x` : prefix
  if (refPathProblem(probe) !== undefined) {
    throw new DvError('INVALID_ARGUMENT', `invalid ref prefix '${String(prefix)}'`, { details: { prefix } })
  }
  return prefix
}

export function checkNextSnapshot(name: string, next: SnapshotId | null): void {
  if (next !== null && !isObjectId(next)) {
    throw new DvError('INVALID_ARGUMENT', `cannot set ref '${name}' to '${String(next)}': expected a 64-hex snapshot id`)
  }
}

export function refConflictError(name: string, expected: string | null, actual: string | null): DvError {
  const show = (v: string | null): string => (v === null ? 'absent' : v)
  return new DvError('CONFLICT', `ref '${name}' changed: expected ${show(expected)}, found ${show(actual)}`, {
    hint: 'another writer updated the ref; re-read it and retry',
    details: { ref: name, expected, actual },
  })
}

/** A ref cannot be both a leaf and a directory ('branches/a' and 'branches/a/b'), as in git. */
export function refNestingError(name: string, other: string): DvError {
  return new DvError('CONFLICT', `ref '${name}' conflicts with existing ref '${other}'`, {
    retryable: false,
    hint: `a ref name cannot be a prefix directory of another; delete '${other}' or pick another name`,
    details: { ref: name, existing: other },
  })
}

/** The snapshot id a ref holds (its content is `<64 hex>\n`), or undefined when it holds anything else. */
export function parseRefContent(text: string): SnapshotId | undefined {
  const id = text.endsWith('\n') ? text.slice(0, -1) : undefined
  return isObjectId(id) ? (id as SnapshotId) : undefined
}

/** Byte-order comparison (not locale-dependent), for sorted listings. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
