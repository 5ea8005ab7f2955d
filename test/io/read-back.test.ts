/**
 * DataEngine.readBack, the check every data file passes before it is
 * published: the footer's row groups add up to the manifest's count, every
 * column chunk is decodable by the scan reader, and the first row group reads
 * in full (every column's pages decoded) with the footer's row count.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { createDataEngine, type DataEngine, type WrittenFile } from '../../src/io/index.js'

let dir: string
let engine: DataEngine
let db: DuckDBInstance
let conn: DuckDBConnection
let good: string

const GROUP = 122_880
const ROWS = 3 * GROUP + 5

function written(path: string, rows: number, columns = ['id', 's']): WrittenFile {
  return { path, temporary: true, rows, bytes: 0, partition: {}, columns: Object.fromEntries(columns.map((name, i) => [String(i + 1), { name, nulls: 0 }])) }
}

async function copy(name: string, select: string, options = ''): Promise<string> {
  const path = join(dir, name)
  await conn.run(`COPY (${select}) TO '${path}' (FORMAT parquet${options})`)
  return path
}

/** The file's bytes with `length` bytes at the start of the first data page of `column` in `rowGroup` overwritten. */
async function garblePage(source: string, name: string, rowGroup: number, column: string, length = 8): Promise<string> {
  const [meta] = (await conn.runAndReadAll(
    `SELECT data_page_offset AS o FROM parquet_metadata('${source}') WHERE row_group_id = ${rowGroup} AND path_in_schema = '${column}'`,
  )).getRowObjectsJson() as Array<{ o: string }>
  const bytes = Buffer.from(await readFile(source))
  bytes.fill(0xff, Number(meta.o), Number(meta.o) + length)
  const path = join(dir, name)
  await writeFile(path, bytes)
  return path
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-read-back-'))
  engine = await createDataEngine({ threads: 2 })
  db = await DuckDBInstance.create(':memory:', { threads: '1' })
  conn = await db.connect()
  good = await copy('good.parquet', `SELECT range AS id, 'text ' || range AS s FROM range(${ROWS})`, ', COMPRESSION uncompressed')
})

afterAll(async () => {
  await engine.close()
  conn.closeSync()
  db.closeSync()
  await rm(dir, { recursive: true, force: true })
})

describe('readBack', () => {
  it('passes a good file and an empty one', async () => {
    await engine.readBack([written(good, ROWS)])
    const empty = await copy('empty.parquet', 'SELECT 1::BIGINT AS id, \'x\' AS s WHERE false')
    await engine.readBack([written(empty, 0)])
  })

  it('is CORRUPT when the manifest would record another row count than the footer holds', async () => {
    for (const rows of [ROWS - 1, ROWS + 1, 0]) {
      const err = await engine.readBack([written(good, rows)]).catch((e) => e)
      expect(err).toMatchObject({ code: 'CORRUPT' })
      expect(err.message).toContain(`its row groups hold ${ROWS} rows but its manifest entry would record ${rows}`)
      expect(err.message).toContain(good)
    }
  })

  it.each(['id', 's'])('is CORRUPT when a page of column %s in the first row group cannot be decoded', async (column) => {
    const bad = await garblePage(good, `bad-first-${column}.parquet`, 0, column)
    const err = await engine.readBack([written(bad, ROWS)]).catch((e) => e)
    expect(err).toMatchObject({ code: 'CORRUPT' })
    expect(err.message).toContain(bad)
    expect(err.message).toContain('DuckDB cannot read it back')
  })

  it('reads the footer and the first row group only: damage further on is left to scans (the cost stays one row group)', async () => {
    const bad = await garblePage(good, 'bad-last.parquet', 3, 's')
    await engine.readBack([written(bad, ROWS)])
    await expect(conn.runAndReadAll(`SELECT first(s) FROM read_parquet('${bad}')`)).rejects.toThrow()
  })

  it('decodes every column even where the statistics say "no nulls" (count(col) would not)', async () => {
    // A page DuckDB cannot decode in a column without nulls: count(s) is answered from the statistics.
    const bad = await garblePage(good, 'bad-no-nulls.parquet', 0, 's', 24)
    expect((await conn.runAndReadAll(`SELECT count(s)::INT AS n FROM read_parquet('${bad}', file_row_number=true) WHERE file_row_number < ${GROUP}`)).getRowObjectsJson())
      .toEqual([{ n: GROUP }])
    await expect(engine.readBack([written(bad, ROWS)])).rejects.toMatchObject({ code: 'CORRUPT' })
  })

  it('reads a file whose column is named file_row_number (it hides DuckDB\'s own)', async () => {
    const clash = await copy('clash.parquet', `SELECT range AS file_row_number, 'x' AS s FROM range(${GROUP + 3})`)
    await engine.readBack([written(clash, GROUP + 3, ['file_row_number', 's'])])
    await expect(engine.readBack([written(clash, GROUP + 4, ['file_row_number', 's'])])).rejects.toMatchObject({ code: 'CORRUPT' })
  })

  it('is CORRUPT when the file is not Parquet at all', async () => {
    const text = join(dir, 'text.parquet')
    await writeFile(text, 'id,s\n1,a\n')
    const err = await engine.readBack([written(text, 1)]).catch((e) => e)
    expect(err).toMatchObject({ code: 'CORRUPT' })
    expect(err.message).toContain(text)
  })
})
