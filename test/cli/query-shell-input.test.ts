/**
 * The `dv query` shell's input, without a terminal: where a statement ends
 * (cli/sql-statements.ts: `;` outside literals and comments), and the history
 * file (cli/query-history.ts: its place, its escaping, its cap).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeEntry, encodeEntry, historyPath, QueryHistory } from '../../cli/query-history.js'
import { splitStatements } from '../../cli/sql-statements.js'

describe('splitStatements', () => {
  it.each([
    ['SELECT 1', [], true],
    ['SELECT 1;', ['SELECT 1'], false],
    ['SELECT 1;  -- done', ['SELECT 1'], false],
    ['SELECT 1; SELECT', ['SELECT 1'], true],
    ['SELECT 1;\nSELECT 2 ;', ['SELECT 1', 'SELECT 2'], false],
    ["SELECT 'a;b'", [], true],
    ["SELECT 'a;", [], true],
    ["SELECT 'it''s;' AS s;", ["SELECT 'it''s;' AS s"], false],
    ['SELECT "x;y" FROM t;', ['SELECT "x;y" FROM t'], false],
    ['SELECT 1 -- not the end;\n', [], true],
    ['SELECT /* ; */ 1;', ['SELECT /* ; */ 1'], false],
    ['SELECT /* ;', [], true],
    ['SELECT $$a;b$$;', ['SELECT $$a;b$$'], false],
    ['SELECT $t$a;$$b$t$ AS x;', ['SELECT $t$a;$$b$t$ AS x'], false],
    ['SELECT $1;', ['SELECT $1'], false],
    [';; ;', [], false],
    ['-- only a comment\n', [], false],
  ] as const)('%j', (text, statements, pending) => {
    const split = splitStatements(text)
    expect({ statements: split.statements, pending: split.pending }).toEqual({ statements, pending })
  })
})

describe('the history file', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dv-query-history-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('is $DV_QUERY_HISTORY (empty: none), else under $XDG_STATE_HOME, else ~/.local/state', () => {
    expect(historyPath({ DV_QUERY_HISTORY: '/x/h', XDG_STATE_HOME: '/s' })).toBe('/x/h')
    expect(historyPath({ DV_QUERY_HISTORY: '' })).toBeUndefined()
    expect(historyPath({ XDG_STATE_HOME: '/s' })).toBe('/s/dv/query_history')
    // the spec ignores a relative XDG path
    expect(historyPath({ XDG_STATE_HOME: 'rel', HOME: '/home/u' })).toMatch(/\/\.local\/state\/dv\/query_history$/)
  })

  it('keeps an entry\'s newlines and backslashes through one line of the file', () => {
    for (const entry of ['SELECT 1', 'SELECT 1 -- c\nFROM t;', "SELECT '\\n' AS backslash_n", 'a\\\\b\\']) {
      expect(encodeEntry(entry)).not.toMatch(/\n/)
      expect(decodeEntry(encodeEntry(entry))).toBe(entry)
    }
  })

  it('appends each new entry (not a repeat of the last), and keeps the newest SIZE entries', async () => {
    const file = path.join(dir, 'nested', 'h')
    const warnings: string[] = []
    const first = await QueryHistory.open(file, (m) => warnings.push(m), 3)
    for (const entry of ['a;', 'b;', 'b;', 'c\nd;', 'e;']) first.add(entry)
    await first.close()
    expect(await readFile(file, 'utf8')).toBe('b;\nc\\nd;\ne;\n')
    expect(first.entries).toEqual(['e;', 'c\nd;', 'b;'])
    await writeFile(file, 'one\ntwo\nthree\nfour\nfive\n')
    const second = await QueryHistory.open(file, (m) => warnings.push(m), 3)
    expect(second.entries).toEqual(['five', 'four', 'three'])
    expect(await readFile(file, 'utf8')).toBe('three\nfour\nfive\n')
    expect(warnings).toEqual([])
  })
})
