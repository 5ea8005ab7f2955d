/**
 * REV syntax (format-spec/rev-syntax.md): a base (branch, tag, HEAD, snapshot
 * id or unique hex prefix >= 4 digits) followed by any number of suffixes
 * `~N`, `~`, `^N`, `^`, `@{ISO-8601 time}`; and right after a branch or tag
 * name (or HEAD), `@{N}`: the name's N-th previous value (its reflog).
 */
import { DvError } from '../errors.js'

export type RevStep =
  | { kind: 'ancestor'; n: number } // ~N: N-th first parent
  | { kind: 'parent'; n: number } // ^N: N-th parent (1-based)
  | { kind: 'time'; ms: number; text: string } // @{time}
  | { kind: 'reflog'; n: number } // @{N}: the N-th previous value of the ref (must come first)

export interface ParsedRev {
  base: string
  steps: RevStep[]
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i

/** Parses an ISO-8601 time; a time without zone is UTC (format-spec/rev-syntax.md). */
export function parseTime(text: string): number | undefined {
  const t = text.trim()
  if (!ISO_TIME.test(t)) return undefined
  let normalized = t.replace(' ', 'T')
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(normalized)) {
    normalized = normalized.includes('T') ? `${normalized}Z` : `${normalized}T00:00:00Z`
  }
  const ms = Date.parse(normalized)
  return Number.isNaN(ms) ? undefined : ms
}

export function isTimeLiteral(text: string): boolean {
  return parseTime(text) !== undefined
}

function badRev(rev: string, why: string): DvError {
  return new DvError('INVALID_ARGUMENT', `invalid revision '${rev}': ${why}`, {
    hint: "use a branch, tag, snapshot id (>= 4 hex digits), REV~N, REV^, REV@{2026-03-01T00:00:00Z} or NAME@{N}",
  })
}

export function parseRev(rev: string): ParsedRev {
  if (rev.length === 0) throw badRev(rev, 'it is empty')
  const m = /^[^~^@]*/.exec(rev)
  let base = m ? m[0] : ''
  let rest = rev.slice(base.length)
  // '@' alone or a leading '@{...}' means HEAD, like git
  if (base === '' && rest.startsWith('@')) base = 'HEAD'
  if (base === '') throw badRev(rev, 'it has no branch, tag or snapshot id before the suffix')
  const steps: RevStep[] = []
  while (rest.length > 0) {
    let s: RegExpExecArray | null
    if ((s = /^~(\d*)/.exec(rest)) && rest.startsWith('~')) {
      steps.push({ kind: 'ancestor', n: s[1] === '' ? 1 : Number(s[1]) })
      rest = rest.slice(s[0].length)
    } else if ((s = /^\^(\d*)/.exec(rest)) && rest.startsWith('^')) {
      const n = s[1] === '' ? 1 : Number(s[1])
      steps.push({ kind: 'parent', n })
      rest = rest.slice(s[0].length)
    } else if (rest.startsWith('@{')) {
      const end = rest.indexOf('}')
      if (end < 0) throw badRev(rev, "missing '}'")
      const text = rest.slice(2, end)
      if (/^\d+$/.test(text)) {
        // like git: @{N} reads a ref's own log, so it must follow the name itself (main@{1}~2, not main~2@{1})
        if (steps.length > 0) throw badRev(rev, `@{${text}} must follow a branch or tag name directly (e.g. main@{1})`)
        const n = Number(text)
        if (!Number.isSafeInteger(n)) throw badRev(rev, `@{${text}} is too large`)
        steps.push({ kind: 'reflog', n })
        rest = rest.slice(end + 1)
        continue
      }
      const ms = parseTime(text)
      if (ms === undefined) throw badRev(rev, `'${text}' is not an ISO-8601 time (e.g. 2026-03-01T00:00:00Z)`)
      steps.push({ kind: 'time', ms, text })
      rest = rest.slice(end + 1)
    } else if (rest === '@') {
      rest = ''
    } else {
      throw badRev(rev, `unexpected '${rest}'`)
    }
  }
  return { base, steps }
}
