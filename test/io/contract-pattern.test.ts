/**
 * A contract's `pattern` is a partial match (JSON Schema's `pattern`), and
 * dv writes it as a full match of the regex between two runs of anything so
 * that the engine evaluates it once per dictionary entry. The two must agree
 * on every text: anchors, alternation across anchors, flag groups, word
 * boundaries, empty matches, newlines and non-ASCII text, read from a
 * column stored plainly and from one stored as a dictionary (the path the
 * rewrite exists for).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { partialMatch } from '../../src/io/contract-checks.js'
import { quoteLiteral } from '../../src/io/duck.js'
import { openSandbox, type Sandbox } from '../../src/io/sandbox.js'

const PATTERNS = [
  '^[A-Z]{2}$', '^[A-C]', '[0-9]$', 'b', '^a|b$', 'a|^$', '(?i)^ab$', '(?i)k', '(?m)^b$', '(?s)a.b', 'a.b',
  '\\bcd\\b', '\\Bc', 'x*', '^$', '^', '$', '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', '^.{2}$', '^\\p{L}+$', '(a)(b)',
  '^[A-Za-z][A-Za-z0-9+.-]*:[^\\s]*$', 'é', '^(?:ab|cd)+$', '[)]', 'a\\)', '\\Qa.b\\E', '\\Qa)',
]

const TEXTS = [
  '', 'a', 'b', 'ab', 'AB', 'ABC', 'xab', 'aXb', 'a\nb', 'a\nb\n', '\nb', 'b\n', 'cd', 'abcd', 'cd ef', 'ecd',
  'KELVIN', '\u212a', 'é', 'éé', 'ÉA', 'a@b.c', 'é@ü.de', 'a b@c.d', 'a@b@c.d', '@x.y', 'a@y.', 'http://é',
  'x:\u3000', 'a)', 'a.b', 'a)b', 'a\u00a0@b.c', '12', '1x', 'a\tb',
]

let dir: string
let sandbox: Sandbox

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-contract-pattern-'))
  sandbox = await openSandbox({ scratchDir: dir, threads: 1 })
  const values = TEXTS.map((t, i) => `(${i}, ${quoteLiteral(t)})`).join(', ')
  // `plain` holds each text once; `dict` holds each 500 times, which the Parquet writer stores as a dictionary
  await sandbox.run(`COPY (SELECT i, t FROM (VALUES ${values}) AS v(i, t)) TO '${join(dir, 'plain.parquet')}' (FORMAT parquet)`)
  await sandbox.run(`COPY (SELECT v.i, v.t FROM (VALUES ${values}) AS v(i, t), range(500) AS r(k) ORDER BY r.k, v.i) TO '${join(dir, 'dict.parquet')}' (FORMAT parquet)`)
})

afterAll(async () => {
  sandbox.close()
  await rm(dir, { recursive: true, force: true })
})

describe('a pattern written as a full match agrees with the partial match', () => {
  for (const file of ['plain', 'dict']) {
    it(`on every text, read from a column stored ${file === 'dict' ? 'as a dictionary' : 'plainly'}`, async () => {
      const disagreements: string[] = []
      for (const regex of PATTERNS) {
        const rows = await sandbox.all(
          `SELECT t, count(*) AS n, bool_and(regexp_matches(t, ${quoteLiteral(regex)})) AS partial, bool_and(${partialMatch('t', regex)}) AS ours, bool_or(${partialMatch('t', regex)}) AS ours_any
           FROM read_parquet('${join(dir, `${file}.parquet`)}') GROUP BY t`,
        )
        expect(rows).toHaveLength(TEXTS.length)
        for (const r of rows) if (r.partial !== r.ours || r.ours !== r.ours_any) disagreements.push(`${regex} on ${JSON.stringify(r.t)}: ${String(r.partial)} vs ${String(r.ours)}`)
      }
      expect(disagreements).toEqual([])
    })
  }

  it('every pattern decides some text each way or is constant on purpose', async () => {
    // guards the grid itself: a pattern that matched nothing here would test nothing
    const constant: string[] = []
    for (const regex of PATTERNS) {
      const [r] = await sandbox.all(`SELECT count_if(regexp_matches(t, ${quoteLiteral(regex)})) AS yes, count(*) AS n FROM read_parquet('${join(dir, 'plain.parquet')}')`)
      if (Number(r!.yes) === 0 || Number(r!.yes) === Number(r!.n)) constant.push(regex)
    }
    expect(constant.sort()).toEqual(['$', '^', 'x*'].sort())
  })

  it('a regex that quotes with \\Q keeps the partial match', () => {
    expect(partialMatch('t', '\\Qa)')).toBe(`regexp_matches(t, '\\Qa)')`)
    expect(partialMatch('t', '^a$')).toMatch(/^regexp_full_match\(t, /)
  })
})
