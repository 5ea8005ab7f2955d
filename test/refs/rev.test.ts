import { describe, expect, it } from 'vitest'
import { isTimeLiteral, parseRev, parseTime } from '../../src/refs/rev.js'
import { refNameProblem } from '../../src/ids.js'

describe('parseRev', () => {
  it('parses bases and suffix chains', () => {
    expect(parseRev('main')).toEqual({ base: 'main', steps: [] })
    expect(parseRev('feature/x~3')).toEqual({ base: 'feature/x', steps: [{ kind: 'ancestor', n: 3 }] })
    expect(parseRev('main^')).toEqual({ base: 'main', steps: [{ kind: 'parent', n: 1 }] })
    expect(parseRev('3f9a^2~')).toEqual({ base: '3f9a', steps: [{ kind: 'parent', n: 2 }, { kind: 'ancestor', n: 1 }] })
    const t = parseRev('main@{2026-03-01T00:00:00Z}~1')
    expect(t.base).toBe('main')
    expect(t.steps).toEqual([{ kind: 'time', ms: Date.UTC(2026, 2, 1), text: '2026-03-01T00:00:00Z' }, { kind: 'ancestor', n: 1 }])
    expect(parseRev('@{2026-01-01}').base).toBe('HEAD')
    expect(parseRev('main@{1}~2')).toEqual({ base: 'main', steps: [{ kind: 'reflog', n: 1 }, { kind: 'ancestor', n: 2 }] })
    expect(parseRev('@{0}')).toEqual({ base: 'HEAD', steps: [{ kind: 'reflog', n: 0 }] })
  })

  it('reads a multi-digit @{N} as a reflog step', () => {
    expect(parseRev('main@{12}')).toEqual({ base: 'main', steps: [{ kind: 'reflog', n: 12 }] })
  })

  it('says what is wrong with a malformed revision, and how to write one', () => {
    const cases: Array<[string, string]> = [
      ['', "invalid revision '': it is empty"],
      ['~1', "invalid revision '~1': it has no branch, tag or snapshot id before the suffix"],
      ['main@{2026-01-01', "invalid revision 'main@{2026-01-01': missing '}'"],
      ['main@{1', "invalid revision 'main@{1': missing '}'"],
      ['main~1@{1}', "invalid revision 'main~1@{1}': @{1} must follow a branch or tag name directly (e.g. main@{1})"],
      ['main@{99999999999999999999}', "invalid revision 'main@{99999999999999999999}': @{99999999999999999999} is too large"],
      ['main@{yesterday}', "invalid revision 'main@{yesterday}': 'yesterday' is not an ISO-8601 time (e.g. 2026-03-01T00:00:00Z)"],
      ['main~x', "invalid revision 'main~x': unexpected 'x'"],
    ]
    for (const [rev, message] of cases) {
      expect(() => parseRev(rev), rev).toThrowError(expect.objectContaining({
        code: 'INVALID_ARGUMENT', message, hint: 'use a branch, tag, snapshot id (>= 4 hex digits), REV~N, REV^, REV@{2026-03-01T00:00:00Z} or NAME@{N}',
      }))
    }
  })

  it('rejects malformed revisions with INVALID_ARGUMENT', () => {
    for (const bad of ['', '~1', 'main@{yesterday}', 'main@{2026-01-01', 'main~x', 'main~1@{1}', 'main@{-1}', 'main@{1}@{2}', 'main@{99999999999999999999}']) {
      expect(() => parseRev(bad), bad).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    }
  })
})

describe('parseTime', () => {
  it('treats a time without zone as UTC', () => {
    expect(parseTime('2026-03-01')).toBe(Date.UTC(2026, 2, 1))
    expect(parseTime('2026-03-01T10:30')).toBe(Date.UTC(2026, 2, 1, 10, 30))
    expect(parseTime('2026-03-01 10:30:05.250')).toBe(Date.UTC(2026, 2, 1, 10, 30, 5, 250))
    expect(parseTime('2026-03-01T10:30:00+02:00')).toBe(Date.UTC(2026, 2, 1, 8, 30))
    expect(parseTime('not a time')).toBeUndefined()
    expect(parseTime('2026-13-45')).toBeUndefined()
  })

  it('reads a zone with or without a colon, and ignores surrounding blanks', () => {
    expect(parseTime('2026-03-01T10:30:00+0200')).toBe(Date.UTC(2026, 2, 1, 8, 30))
    expect(parseTime('2026-03-01T10:30:00-02:00')).toBe(Date.UTC(2026, 2, 1, 12, 30))
    expect(parseTime(' 2026-03-01 ')).toBe(Date.UTC(2026, 2, 1))
  })

  it('accepts only the ISO-8601 forms of the spec, not whatever Date.parse takes', () => {
    for (const other of ['+002026-03-01T00:00:00Z', 'Sun, 01 Mar 2026 00:00:00 GMT', '2026-03-01T10:30:00.1234567891Z']) {
      expect(parseTime(other), other).toBeUndefined()
      expect(isTimeLiteral(other), other).toBe(false)
    }
    expect(isTimeLiteral('2026-03-01')).toBe(true)
    expect(isTimeLiteral('main')).toBe(false)
  })

  it('is UTC whatever the machine\'s time zone', () => {
    const tz = process.env.TZ
    process.env.TZ = 'Asia/Kolkata' // +05:30: a local reading would be off by 5.5 hours
    try {
      expect(parseTime('2026-03-01T10:30')).toBe(Date.UTC(2026, 2, 1, 10, 30))
      expect(parseTime('2026-03-01 10:30:05.250')).toBe(Date.UTC(2026, 2, 1, 10, 30, 5, 250))
    } finally {
      if (tz === undefined) delete process.env.TZ
      else process.env.TZ = tz
    }
  })
})

describe('ref names', () => {
  it('accepts git-like names and rejects the dangerous ones', () => {
    for (const ok of ['main', 'backfill', 'feature/x-1', 'v1.0', 'release_2026']) expect(refNameProblem(ok), ok).toBeUndefined()
    for (const bad of ['', '../x', 'a b', 'HEAD', '-x', 'x/', 'x.lock', 'a..b', 'a//b', '.hidden', 'x/.y', 'deadbeef', 'a~1', 'a^', 'a@{1}', 'a:b']) {
      expect(refNameProblem(bad), bad).toBeDefined()
    }
  })
})
