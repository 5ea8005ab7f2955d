/** `dv query` at the command line: CSV and --json output, --file, and the documented exit codes (2 refused or bad usage, 3 unknown table). */
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { queryRepo, runDv } from './run-dv.js'

let work: string
const dv = (...args: string[]) => runDv(args, { cwd: work })

beforeAll(() => {
  ({ work } = queryRepo('dv-cli-query-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

it('prints the result as CSV, or JSON with --json, and reads the query from --file', () => {
  expect(dv('query', 'SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind')).toMatchObject({ code: 0, lines: ['kind,n', 'a,2', 'b,1', 'c,1'] })
  const json = dv('--json', 'query', 'SELECT id FROM events EXCEPT SELECT id FROM "events@v1"')
  expect(json.code).toBe(0)
  expect(JSON.parse(json.stdout)).toEqual([{ id: 4 }])
  writeFileSync(path.join(work, 'q.sql'), 'SELECT count(*) AS n FROM events\n')
  expect(dv('query', '--file', 'q.sql', '--at', 'v1').lines).toEqual(['n', '3'])
})

it('refuses what is not one SELECT over the snapshot with exit 2, an unknown table with exit 3', () => {
  for (const [args, code, text] of [
    [['query', "SELECT * FROM read_csv('/etc/passwd')"], 2, /table function read_csv/],
    [['query', "COPY events TO 'out.csv'"], 2, /only SELECT/],
    [['query'], 2, /no query given/],
    [['query', 'SELECT * FROM nope'], 3, /table 'nope' does not exist/],
    [['query', '--file', 'missing.sql'], 3, /cannot read the query file/],
  ] as const) {
    const r = dv(...args)
    expect({ args, code: r.code }).toEqual({ args, code })
    expect(r.stderr).toMatch(text)
  }
})
