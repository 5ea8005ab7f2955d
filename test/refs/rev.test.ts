import { describe, expect, it } from 'vitest'
import { parseRev, parseTime } from '../../src/refs/rev.js'
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
})

describe('ref names', () => {
  it('accepts git-like names and rejects the dangerous ones', () => {
    for (const ok of ['main', 'backfill', 'feature/x-1', 'v1.0', 'release_2026']) expect(refNameProblem(ok), ok).toBeUndefined()
    for (const bad of ['', '../x', 'a b', 'HEAD', '-x', 'x/', 'x.lock', 'a..b', 'a//b', '.hidden', 'x/.y', 'deadbeef', 'a~1', 'a^', 'a@{1}', 'a:b']) {
      expect(refNameProblem(bad), bad).toBeDefined()
    }
  })
})
