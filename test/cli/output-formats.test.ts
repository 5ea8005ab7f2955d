/**
 * Every output format at every size: `dv cat --format F --limit N` and
 * `Repository.cat`, and `Repository.scan` batches, at row counts on both
 * sides of every chunk size inside the read path (DuckDB's 2,048-row vector,
 * its 122,880-row row group, the 65,536-row row group of the scratch file
 * Arrow output is read from, and outputs below and above the 1 MiB chunks
 * they are streamed in). Each result is read back by pyarrow, an independent
 * reader, and compared value by value with the first N rows of the source.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as arrow from 'apache-arrow'
import { Repository, type OutputFormat } from '../../src/index.js'
import { ROOT, buildIfStale, forEachLimit, runDvToFile } from './run-dv.js'
import { runPython, testPython } from '../support/python.js'

const python = testPython('the output format suite (test/cli/output-formats.test.ts)')

const ROWS = 131_073 // two scratch row groups and one row more; more than one DuckDB row group
// The default suite takes one size past each boundary; DV_STRESS=1 (a step of .ci/run) takes both sides of every one.
const STRESS = process.env.DV_STRESS === '1'
const SIZES = STRESS ? [0, 1, 2047, 2048, 2049, 65_535, 65_536, 65_537, 122_879, 122_880, 122_881, ROWS] : [0, 1, 2049, 65_537, 122_881, ROWS]
const CLI_SIZES = STRESS ? [0, 1, 2049, 65_537, 122_881, ROWS] : [0, 65_537, ROWS]
const FORMATS: OutputFormat[] = ['csv', 'ndjson', 'json', 'parquet', 'arrow']

interface Output { name: string; format: OutputFormat; rows: number; path: string; reported?: number; code?: number; stderr?: string }

const work = python ? mkdtempSync(path.join(tmpdir(), 'dv-output-formats-')) : ''
const outputs: Output[] = []
const results = new Map<string, { ok: boolean; problem?: string }>()
const source = path.join(work, 'source.parquet')
const lake = path.join(work, 'lake')

function cases(via: 'lib' | 'cli', sizes: number[]): Array<{ name: string; format: OutputFormat; rows: number }> {
  return FORMATS.flatMap((format) => sizes.map((rows) => ({ name: `${via} ${format} ${rows}`, format, rows })))
}

async function catToFile(repo: Repository, format: OutputFormat, rows: number, file: string): Promise<number> {
  const out = createWriteStream(file)
  const result = await repo.cat('t', out, { format, ...(rows < ROWS ? { limit: rows } : {}) })
  out.end()
  await once(out, 'close')
  return result.rows
}

describe.skipIf(!python)('every output format at every size', () => {
  beforeAll(async () => {
    buildIfStale()
    mkdirSync(path.join(work, 'out'))
    await runPython(python!, path.join(ROOT, 'test/fixtures/parquet/make-output-table.py'), [String(ROWS), source])
    const repo = await Repository.init(lake)
    try {
      await repo.write('t', source, { commit: true, message: 'load' })
      for (const c of cases('lib', SIZES)) {
        const file = path.join(work, 'out', c.name.replace(/ /g, '-'))
        outputs.push({ ...c, path: file, reported: await catToFile(repo, c.format, c.rows, file) })
      }
      for (const rows of SIZES) {
        const batches: arrow.RecordBatch[] = []
        for await (const batch of repo.scan('t', rows < ROWS ? { limit: rows } : {})) batches.push(batch)
        const file = path.join(work, 'out', `scan-${rows}`)
        const count = batches.reduce((n, b) => n + b.numRows, 0)
        if (batches.length) writeFileSync(file, arrow.tableToIPC(new arrow.Table(batches), 'stream'))
        outputs.push({ name: `scan ${rows}`, format: 'arrow', rows, path: batches.length ? file : '', reported: count })
      }
    } finally {
      await repo.close()
    }
    await forEachLimit(cases('cli', CLI_SIZES), 3, async (c) => {
      const file = path.join(work, 'out', c.name.replace(/ /g, '-'))
      const args = ['cat', 't', ...(c.format === 'json' ? ['--json'] : ['--format', c.format]), ...(c.rows < ROWS ? ['--limit', String(c.rows)] : [])]
      const run = await runDvToFile(args, { cwd: lake, stdoutFile: file })
      outputs.push({ ...c, path: file, code: run.code, stderr: run.stderr })
    })
    const pairs = outputs.filter((o) => o.path).map((o) => ({ name: o.name, expected: source, actual: o.path, format: o.format, limit: o.rows }))
    for (const r of JSON.parse(await runPython(python!, path.join(ROOT, 'test/support/compare_tables.py'), [], { input: JSON.stringify(pairs) })) as Array<{ name: string; ok: boolean; problem?: string }>) {
      results.set(r.name, r)
    }
  }, 900_000)

  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it.each([...cases('lib', SIZES), ...cases('cli', CLI_SIZES)])('$name rows read back by pyarrow', ({ name, rows }) => {
    const output = outputs.find((o) => o.name === name)!
    if (output.code !== undefined) expect(output.code, output.stderr).toBe(0)
    if (output.reported !== undefined) expect(output.reported).toBe(rows)
    expect(results.get(name)).toEqual({ name, ok: true })
  })

  it.each(SIZES)('Repository.scan batches of %i rows read back by pyarrow', (rows) => {
    const output = outputs.find((o) => o.name === `scan ${rows}`)!
    expect(output.reported).toBe(rows)
    if (rows > 0) expect(results.get(output.name)).toEqual({ name: output.name, ok: true })
  })
})
