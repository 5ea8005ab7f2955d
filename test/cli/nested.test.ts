/**
 * Nested columns end to end: random schemas (structs, lists and maps nested
 * to depth 3, nulls at every level) written by pyarrow as Parquet and the
 * map-free ones also as NDJSON, and nested files from other writers
 * (pyarrow's compliant and legacy list naming, format 1.0 with data page v2,
 * polars, DuckDB, and the checked-in legacy-lists.parquet of old writers'
 * 2-level and other legacy list and map layouts), each ingested with Repository.write and read back through
 * Repository.cat in every output format, Repository.scan (Arrow batches) and
 * `dv cat --format F`, then compared value by value by pyarrow
 * (test/support/compare_nested.py). Every stored data file carries the
 * table's field id on every field, list element, map key and map value.
 * Size: DV_NESTED_ROWS rows (default 60) and DV_NESTED_SCHEMAS random schemas
 * (default 6), seed DV_NESTED_SEED.
 */
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as arrow from 'apache-arrow'
import { DuckDBInstance } from '@duckdb/node-api'
import { Repository, type ColumnStats, type OutputFormat } from '../../src/index.js'
import { ROOT, buildIfStale, forEachLimit, runDvToFile } from './run-dv.js'
import { runPython, testPython } from '../support/python.js'

const python = testPython('the nested types suite (test/cli/nested.test.ts)')
const ROWS = Number(process.env.DV_NESTED_ROWS ?? 60)
const SCHEMAS = Number(process.env.DV_NESTED_SCHEMAS ?? 6)
const SEED = Number(process.env.DV_NESTED_SEED ?? 8)
const FORMATS: OutputFormat[] = ['csv', 'ndjson', 'json', 'parquet', 'arrow']

interface Case { file: string; writer: string; what: string; ndjson?: string }
interface Input { table: string; input: string; expected: string; label: string }
interface Output { name: string; expected: string; actual: string; format: OutputFormat; error?: string }

const work = python ? mkdtempSync(path.join(tmpdir(), 'dv-nested-')) : ''
const gen = path.join(work, 'gen')
const lake = path.join(work, 'lake')
let inputs: Input[] = []
const outputs: Output[] = []
const written = new Map<string, string | undefined>()
const results = new Map<string, { ok: boolean; problem?: string }>()
const fieldIdProblems: string[] = []

async function toFile(file: string, fn: (out: NodeJS.WritableStream) => Promise<unknown>): Promise<void> {
  const out = createWriteStream(file)
  await fn(out)
  out.end()
  await once(out, 'close')
}

/** Field path -> id of every field of a table's schema tree, as `dv show` gives it. */
function idsOf(columns: ColumnStats[], into = new Map<string, number>()): Map<string, number> {
  for (const c of columns) {
    into.set(c.path, c.id)
    idsOf(c.fields ?? [], into)
  }
  return into
}

const FIELD_IDS_PY = `
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
def walk(prefix, field, out):
    path = prefix + [field.name]
    fid = (field.metadata or {}).get(b'PARQUET:field_id')
    out['.'.join(path)] = int(fid) if fid is not None else None
    t = field.type
    if pa.types.is_struct(t):
        for f in t: walk(path, f, out)
    elif pa.types.is_map(t):
        walk(path, t.key_field.with_name('key'), out); walk(path, t.item_field.with_name('value'), out)
    elif pa.types.is_list(t):
        walk(path, t.value_field.with_name('element'), out)
result = {}
for p in sys.argv[1:]:
    out = {}
    for f in pq.read_schema(p): walk([], f, out)
    result[p] = out
json.dump(result, sys.stdout)
`

describe.skipIf(!python)('nested columns through write, cat and scan', () => {
  beforeAll(async () => {
    buildIfStale()
    mkdirSync(gen)
    mkdirSync(path.join(work, 'out'))
    await runPython(python!, path.join(ROOT, 'test/fixtures/nested/make-nested.py'), [gen, String(ROWS), String(SCHEMAS), String(SEED)])
    const cases = JSON.parse(readFileSync(path.join(gen, 'cases.json'), 'utf8')) as Case[]
    // DuckDB as one more writer (its own list and map layout and field-id-less footer)
    const db = await DuckDBInstance.create(':memory:')
    const conn = await db.connect()
    await conn.run(`COPY (SELECT * FROM read_parquet('${path.join(gen, 'pyarrow-events.parquet')}')) TO '${path.join(gen, 'duckdb-events.parquet')}' (FORMAT parquet)`)
    conn.closeSync()
    db.closeSync()
    cases.push({ file: 'duckdb-events.parquet', writer: 'duckdb', what: 'DuckDB COPY of the events' })
    copyFileSync(path.join(ROOT, 'test/fixtures/nested/legacy-lists.parquet'), path.join(gen, 'legacy-lists.parquet'))
    cases.push({ file: 'legacy-lists.parquet', writer: 'parquet-rs', what: 'legacy layouts: 2-level lists, a bare repeated field, bag/array, one-field array and _tuple groups, MAP_KEY_VALUE' })
    inputs = cases.flatMap((c, i) => {
      const expected = path.join(gen, c.file)
      const label = `${c.writer}: ${c.what}`
      const list: Input[] = [{ table: `p${i}`, input: expected, expected, label: `${c.file} (${label})` }]
      if (c.ndjson) list.push({ table: `j${i}`, input: path.join(gen, c.ndjson), expected, label: `${c.ndjson} (NDJSON twin of ${c.file})` })
      return list
    })
    const repo = await Repository.init(lake)
    try {
      for (const input of inputs) {
        try {
          await repo.write(input.table, input.input, { commit: true, message: `load ${input.label}` })
          written.set(input.table, undefined)
        } catch (e) {
          written.set(input.table, String(e))
          continue
        }
        for (const format of FORMATS) {
          const file = path.join(work, 'out', `${input.table}-lib.${format}`)
          await toFile(file, (out) => repo.cat(input.table, out as never, { format }))
          outputs.push({ name: `${input.table} lib ${format}`, expected: input.expected, actual: file, format })
        }
        const batches: arrow.RecordBatch[] = []
        for await (const batch of repo.scan(input.table)) batches.push(batch)
        const file = path.join(work, 'out', `${input.table}-scan.arrow`)
        writeFileSync(file, arrow.tableToIPC(new arrow.Table(batches), 'stream'))
        outputs.push({ name: `${input.table} scan`, expected: input.expected, actual: file, format: 'arrow' })
      }
      // every data file: the table's id on every field at every depth
      const tables = new Map<string, Map<string, number>>()
      for (const input of inputs) {
        if (written.get(input.table) === undefined) tables.set(input.table, idsOf((await repo.show('main', input.table)).table!.columns))
      }
      const objects = path.join(lake, '.dv', 'objects')
      const parquet = readdirSync(objects, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name))
        .filter((p) => readFileSync(p).subarray(0, 4).toString() === 'PAR1')
      const found = JSON.parse(await runPython(python!, '-c', [FIELD_IDS_PY, ...parquet])) as Record<string, Record<string, number | null>>
      for (const [file, ids] of Object.entries(found)) {
        const owner = [...tables.values()].find((t) => Object.keys(ids).every((p) => t.has(p)) && t.size === Object.keys(ids).length)
        if (!owner) fieldIdProblems.push(`${file}: no table has the fields ${Object.keys(ids).join(', ')}`)
        else for (const [p, id] of Object.entries(ids)) if (owner.get(p) !== id) fieldIdProblems.push(`${file}: ${p} has field id ${id}, the table says ${owner.get(p)}`)
      }
    } finally {
      await repo.close()
    }
    const cli = inputs.filter((i) => written.get(i.table) === undefined).slice(0, 2)
    await forEachLimit(cli.flatMap((i) => FORMATS.map((format) => ({ i, format }))), 3, async ({ i, format }) => {
      const file = path.join(work, 'out', `${i.table}-cli.${format}`)
      const run = await runDvToFile(['cat', i.table, ...(format === 'json' ? ['--json'] : ['--format', format])], { cwd: lake, stdoutFile: file })
      outputs.push({ name: `${i.table} cli ${format}`, expected: i.expected, actual: file, format, ...(run.code ? { error: run.stderr } : {}) })
    })
    const pairs = outputs.filter((o) => !o.error)
    for (const r of JSON.parse(await runPython(python!, path.join(ROOT, 'test/support/compare_nested.py'), [], { input: JSON.stringify(pairs) })) as Array<{ name: string; ok: boolean; problem?: string }>) {
      results.set(r.name, r)
    }
  }, 900_000)

  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('has random schemas with NDJSON twins and files from several writers', () => {
    expect(inputs.filter((i) => i.table.startsWith('j')).length).toBeGreaterThanOrEqual(Math.floor(SCHEMAS / 2))
    expect(new Set(inputs.map((i) => i.label.split(': ')[0].split('(')[1])).size).toBeGreaterThanOrEqual(3)
  })

  it('ingests every input', () => {
    expect([...written].filter(([, e]) => e !== undefined)).toEqual([])
  })

  it('reads every value back exactly in every output format, through the library and the CLI', () => {
    expect(outputs.length).toBeGreaterThan(inputs.length * FORMATS.length)
    const failed = outputs.map((o) => ({ name: o.name, error: o.error, ...results.get(o.name) })).filter((r) => !r.ok)
    expect(failed).toEqual([])
  })

  it('writes the field id of every nested field, element, key and value into the data files', () => {
    expect(fieldIdProblems).toEqual([])
  })
})
