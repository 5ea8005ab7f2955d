/**
 * `dv table set-key` and key enforcement through the built `dv`: refusals
 * report their counts with exit 2 (3 for an unknown table) and change
 * nothing; a keyed table refuses an existing key and upserts by its key.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv, type DvRun } from './run-dv.js'

let work: string
let lake: string
const dv = (...args: string[]): DvRun => runDv(args, { cwd: lake })
const ok = (...args: string[]): DvRun => {
  const r = dv(...args)
  expect(r.stderr, args.join(' ')).toBe('')
  expect(r.code, args.join(' ')).toBe(0)
  return r
}

/** The refs, the reflog and the staging area: what a refused command must not change. */
function state(): string {
  const walk = (dir: string): string[] => (!existsSync(dir) ? [] : readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? walk(p) : [`${p}: ${readFileSync(p, 'utf8')}`]
  }))
  return ['refs', 'reflog', 'staging'].flatMap((d) => walk(path.join(lake, '.dv', d))).join('\n')
}

function refused(r: DvRun, code: number, message: RegExp): void {
  expect(r.code, r.stderr).toBe(code)
  expect(r.stderr).toMatch(/^error: /)
  expect(r.stderr).toMatch(message)
  expect(r.stderr).toMatch(/^hint: /m)
}

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-keys-'))
  lake = path.join(work, 'lake')
  expect(runDv(['init', 'lake'], { cwd: work }).code).toBe(0)
  writeFileSync(path.join(lake, 'users.csv'), 'id,email,team\n1,a@x,red\n2,b@x,red\n3,,blue\n4,,blue\n')
  writeFileSync(path.join(lake, 'more.csv'), 'id,email,team\n2,b2@x,red\n5,e@x,green\n')
  writeFileSync(path.join(lake, 'upsert.csv'), 'id,email,team\n2,b2@x,red\n5,e@x,green\n')
  ok('write', 'users', 'users.csv', '--commit', '-m', 'load')
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dv table set-key', () => {
  it('refuses a column with nulls or duplicates, reporting how many, an unknown table or column; nothing changes', () => {
    const before = state()
    refused(dv('table', 'set-key', 'users', 'email'), 2, /'email' has 2 null value\(s\)/)
    refused(dv('table', 'set-key', 'users', 'team'), 2, /2 key\(s\) occur more than once, in 4 rows/)
    refused(dv('table', 'set-key', 'nope', 'id'), 3, /table 'nope' does not exist/)
    refused(dv('table', 'set-key', 'users', 'id,nope'), 2, /table 'users' has no column 'nope'/)
    expect(state()).toBe(before)
  })

  it('sets the key; an append of an existing key exits 2 and changes nothing; upsert uses the key', () => {
    expect(ok('table', 'set-key', 'users', 'id').lines).toEqual([expect.stringMatching(/^\[main [0-9a-f]{7}\] set primary key of users to id$/)])
    expect(ok('show', 'main', 'users').stdout).toContain('primary key: id')
    const before = state()
    refused(dv('write', 'users', 'more.csv', '--commit', '-m', 'dup'), 2, /1 key\(s\) of .*more\.csv already exist in table 'users' \(primary key id\), e\.g\. id=2/)
    refused(dv('write', 'users', 'more.csv'), 2, /id=2/)
    refused(dv('write', 'users', 'upsert.csv', '--mode', 'upsert', '--key', 'team', '--commit', '-m', 'x'), 2, /not the primary key of table 'users', which is id/)
    expect(state()).toBe(before)
    ok('write', 'users', 'upsert.csv', '--mode', 'upsert', '--commit', '-m', 'upsert by the key')
    expect(ok('cat', 'users').lines.slice(1).sort()).toEqual(['1,a@x,red', '2,b2@x,red', '3,,blue', '4,,blue', '5,e@x,green'])
  })
})
