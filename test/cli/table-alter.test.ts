/**
 * The CLI of nested schemas: `dv table alter` (each action a commit; bad
 * input exit 2 with nothing changed), `dv table schema [--at REV]` in the
 * --schema text form, `dv show TABLE` / `dv show --json` with the schema
 * tree, and nested values as JSON text in CSV output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv } from './run-dv.js'

let dir: string
const dv = (...args: string[]) => runDv(args, { cwd: dir })

beforeAll(() => {
  buildIfStale()
  dir = mkdtempSync(path.join(tmpdir(), 'dv-table-alter-'))
  writeFileSync(path.join(dir, 'ev.ndjson'), '{"id":1,"p":{"u":{"id":5,"name":"a,b"}},"tags":["x","y"]}\n{"id":2,"p":null,"tags":[]}\n')
  expect(dv('init', '.').code).toBe(0)
  expect(dv('write', 'ev', 'ev.ndjson', '--commit', '-m', 'load').code).toBe(0)
}, 120_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('dv table and dv show with nested columns', () => {
  it('prints nested values as JSON text in CSV cells', () => {
    expect(dv('cat', 'ev').stdout).toBe('id,p,tags\n1,"{""u"":{""id"":5,""name"":""a,b""}}","[""x"",""y""]"\n2,,[]\n')
  })

  it('alters with one commit per action and prints the schema text at each revision', () => {
    const r = dv('table', 'alter', 'ev', 'rename-column', 'p.u.name', 'login', '-m', 'rename')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('schema: id long, p struct<u: struct<id: long, login: string>>, tags list<string>')
    expect(dv('table', 'alter', 'ev', 'add-column', 'p.meta', 'struct<a: int,', 'b: list<string>>').code).toBe(0)
    expect(dv('table', 'schema', 'ev').stdout).toBe('id long, p struct<u: struct<id: long, login: string>, meta: struct<a: int, b: list<string>>>, tags list<string>\n')
    expect(dv('table', 'schema', 'ev', '--at', 'main~2').stdout).toBe('id long, p struct<u: struct<id: long, name: string>>, tags list<string>\n')
    expect(dv('log', '--oneline').lines.slice(0, 2).map((l) => l.replace(/^\S+ (\(main\) )?/, ''))).toEqual(['alter ev: add-column p.meta struct<a: int, b: list<string>>', 'rename'])
    expect(dv('cat', 'ev', '--format', 'ndjson', '--columns', 'id,p.u.login').stdout).toBe('{"id":1,"p.u.login":"a,b"}\n{"id":2,"p.u.login":null}\n')
  })

  it.each([
    [['rename-column', 'p.u.login', 'ID'], 'already exists'],
    [['drop-column', 'p.nope'], 'p.nope'],
    [['widen', 'id', 'int'], 'from long to int'],
    [['add-column', 'x'], 'usage'],
    [['frobnicate', 'x'], "unknown alter action 'frobnicate'"],
    [['add-column', 'x', 'struct<'], 'x'],
  ])('refuses %j with exit 2 and changes nothing', (args, says) => {
    const before = dv('log', '--oneline').stdout
    const r = dv('table', 'alter', 'ev', ...args)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(says)
    expect(dv('log', '--oneline').stdout).toBe(before)
  })

  it('shows the schema tree of a table at HEAD, as text and as JSON', () => {
    const text = dv('show', 'ev')
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/\n\s+\d+\s+p\s+struct\s/)
    expect(text.stdout).toMatch(/\n\s+\d+\s+ {4}login\s+string\s+no\s+a,b\s+a,b\s+1\n/)
    const json = JSON.parse(dv('show', 'main', 'ev', '--json').stdout)
    const p = json.table.columns.find((c: { name: string }) => c.name === 'p')
    expect(p).toMatchObject({ path: 'p', type: 'struct<u: struct<id: long, login: string>, meta: struct<a: int, b: list<string>>>', nulls: 1 })
    expect(p.fields[0].fields.map((f: { path: string; id: number }) => f.path)).toEqual(['p.u.id', 'p.u.login'])
    const tags = json.table.columns.find((c: { name: string }) => c.name === 'tags')
    expect(tags.fields).toEqual([expect.objectContaining({ name: 'element', path: 'tags.element', type: 'string', min: 'x', max: 'y', nulls: 0 })])
  })
})
