/**
 * `dv write`'s schema and CSV options through the built CLI: --schema (text and
 * @FILE), --delimiter, --no-header, --null, --date-format, --allow-empty, and
 * the exit code 2 of bad headers, empty files and schemas that do not parse.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv, type DvRun } from './run-dv.js'

let work: string
const dv = (...args: string[]): DvRun => runDv(args, { cwd: work })
const put = (name: string, text: string): string => {
  writeFileSync(path.join(work, name), text)
  return name
}

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-ingest-'))
  expect(dv('init', '.').code).toBe(0)
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('dv write: schema and CSV options', () => {
  it('creates a table with --schema from a file, and keeps CSV options as properties for later appends', () => {
    put('schema.json', JSON.stringify({ fields: [{ id: 1, name: 'id', type: 'int', required: true }, { id: 2, name: 'd', type: 'date', required: false }, { id: 3, name: 'note', type: 'string', required: false }] }))
    const r = dv('write', 'eu', put('eu.csv', 'id;d;note\n1;02/01/2026;-\n'), '--schema', '@schema.json', '--delimiter', ';', '--null', '-', '--date-format', '%d/%m/%Y', '--commit', '-m', 'eu', '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ created: true, rows: 1 })
    expect(dv('write', 'eu', put('eu2.csv', '2;03/01/2026;x\n'), '--no-header', '--commit', '-m', 'more').code).toBe(0)
    expect(dv('cat', 'eu').stdout).toBe('id,d,note\n1,2026-01-02,\n2,2026-01-03,x\n')
    const show = JSON.parse(dv('show', 'main', 'eu', '--json').stdout) as { table: { properties: Record<string, string>; columns: Array<{ type: string }> } }
    expect(show.table.properties).toEqual({ 'dv.csv.delimiter': ';', 'dv.csv.null': '-', 'dv.csv.date-format': '%d/%m/%Y' })
    expect(show.table.columns.map((c) => c.type)).toEqual(['int', 'date', 'string'])
  })

  it('exits 2 on a header naming a column twice, changing nothing', () => {
    const r = dv('write', 'dup', put('dup.csv', 'id,id\n1,2\n'), '--commit', '-m', 'x')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error: the header of .*dup\.csv names column 'id' twice/)
    expect(dv('show', 'main', 'dup').code).toBe(3)
  })

  it('exits 2 on a 0-byte file for a new table, and creates the empty table with --schema --allow-empty', () => {
    put('empty.csv', '')
    const r = dv('write', 'empty', 'empty.csv', '--commit', '-m', 'x')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no columns: .* give --schema/s)
    expect(dv('write', 'empty', 'empty.csv', '--schema', 'id long, v string', '--commit', '-m', 'x').stderr).toMatch(/has no rows.*\nhint: pass --allow-empty/s)
    expect(dv('write', 'empty', 'empty.csv', '--schema', 'id long, v string', '--allow-empty', '--commit', '-m', 'x').code).toBe(0)
    expect(dv('cat', 'empty').stdout).toBe('id,v\n')
  })

  it('exits 2 on a --schema that does not parse, naming the position', () => {
    const r = dv('write', 'bad', put('bad.csv', 'id\n1\n'), '--schema', 'id lng', '--commit', '-m', 'x')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/column \d+/)
  })

  it('exits 2 on an ambiguous date and asks for --date-format', () => {
    const r = dv('write', 'dates', put('dates.csv', 'd\n01/02/2026\n'), '--commit', '-m', 'x')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/hint: name the format with --date-format/)
  })
})
