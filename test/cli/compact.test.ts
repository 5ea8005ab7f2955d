/** `dv compact` at the command line: text and --json output, and the documented exit codes for bad input (nothing written). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildIfStale, runDv } from './run-dv.js'

let work: string
const dv = (...args: string[]) => runDv(args, { cwd: work })

beforeAll(() => {
  buildIfStale()
  work = mkdtempSync(path.join(tmpdir(), 'dv-cli-compact-'))
  expect(dv('init').code).toBe(0)
  for (const [i, id] of [9, 4, 7].entries()) {
    writeFileSync(path.join(work, `a${i}.csv`), `id,ts\n${id},2026-01-0${i + 1} 10:00:00\n`)
    expect(dv('write', 't', `a${i}.csv`, '--commit', '-m', `a${i}`).code).toBe(0)
  }
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

it('compacts with --sort-by, says what it did, and a second run finds nothing to do', () => {
  const dry = dv('compact', 't', '--dry-run')
  expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining("would rewrite 3 files (3 rows") as unknown })
  const run = dv('--json', 'compact', 't', '--sort-by', 'id', '--target-size', '64MB')
  expect(run.code).toBe(0)
  const json = JSON.parse(run.stdout) as { filesRemoved: number; filesAdded: number; commit: { tables: Record<string, { operation: string }> } }
  expect(json).toMatchObject({ filesRemoved: 3, filesAdded: 1, commit: { tables: { t: { operation: 'replace' } } } })
  expect(dv('cat', 't', '--columns', 'id').lines).toEqual(['id', '4', '7', '9'])
  expect(dv('compact', 't').stdout).toMatch(/nothing to compact in table 't'/)
  expect(dv('log', '-n', '1').stdout).toMatch(/compact t: 3 files into 1[\s\S]*\(replace\)/)
})

it('refuses bad input with exit 2 or 3 and changes nothing', () => {
  const head = dv('log', '-n', '1', '--json').stdout
  for (const [args, code, text] of [
    [['compact', 't', '--target-size', '0'], 2, /at least 1MB/],
    [['compact', 't', '--target-size', 'lots'], 2, /cannot parse size 'lots'/],
    [['compact', 't', '--sort-by', 'nope'], 2, /no such column/],
    [['compact', 't', '--where', "id = 1) OR (1=1"], 2, /invalid predicate/],
    [['compact', 'missing'], 3, /table 'missing' does not exist/],
  ] as const) {
    const r = dv(...args)
    expect({ args, code: r.code }).toEqual({ args, code })
    expect(r.stderr).toMatch(text)
  }
  expect(dv('log', '-n', '1', '--json').stdout).toBe(head)
})
