/**
 * Widening on write, rule by rule (format-spec/write-modes.md#reading-the-input):
 * an input column narrower than the table's is widened exactly (Iceberg's
 * promotions, and integers into double); every other difference is refused
 * with INVALID_ARGUMENT naming the column and both types, and nothing lands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { Repository } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let repo: Repository
let duck: DuckDBConnection
let seq = 0

async function parquet(sql: string): Promise<string> {
  const p = join(dir, `in-${seq++}.parquet`)
  await duck.run(`COPY (${sql}) TO '${p}' (FORMAT parquet)`)
  return p
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-widen-'))
  repo = await Repository.init(join(dir, 'lake'), { author: 'widen' })
  duck = await (await DuckDBInstance.create(':memory:')).connect()
})
afterAll(async () => {
  duck.closeSync()
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

/** [table column (DuckDB SQL), dv type, input value (DuckDB SQL), dv type, the value as read back (CSV), or null when refused] */
const CASES: Array<[string, string, string, string, string | null]> = [
  ['1::INTEGER', 'int', '2::SMALLINT', 'int', '2'],
  ['1::BIGINT', 'long', '2147483647::INTEGER', 'int', '2147483647'],
  ['1.5::DOUBLE', 'double', '2.5::FLOAT', 'float', '2.5'],
  ['1.5::DOUBLE', 'double', '7::INTEGER', 'int', '7.0'],
  ['1.50::DECIMAL(10,2)', 'decimal(10,2)', '123.45::DECIMAL(5,2)', 'decimal(5,2)', '123.45'],
  ["TIMESTAMP '2026-01-01 10:00:00'", 'timestamp', "DATE '2026-03-04'", 'date', '2026-03-04 00:00:00'],
  ["TIMESTAMP_NS '2026-01-01 10:00:00'", 'timestamp_ns', "DATE '2026-03-04'", 'date', '2026-03-04 00:00:00'],
  ['1::INTEGER', 'int', '2::BIGINT', 'long', null],
  ['1.5::FLOAT', 'float', '2.5::DOUBLE', 'double', null],
  ['1.50::DECIMAL(10,2)', 'decimal(10,2)', '1.5::DECIMAL(10,1)', 'decimal(10,1)', null],
  ['1.50::DECIMAL(5,2)', 'decimal(5,2)', '1.50::DECIMAL(10,2)', 'decimal(10,2)', null],
  ["TIMESTAMP '2026-01-01 10:00:00'", 'timestamp', "TIMESTAMPTZ '2026-01-01 10:00:00Z'", 'timestamptz', null],
  ["TIMESTAMPTZ '2026-01-01 10:00:00Z'", 'timestamptz', "TIMESTAMP '2026-01-01 10:00:00'", 'timestamp', null],
  ["TIMESTAMP '2026-01-01 10:00:00'", 'timestamp', "TIMESTAMP_NS '2026-01-01 10:00:00'", 'timestamp_ns', null],
  ["DATE '2026-01-01'", 'date', "TIMESTAMP '2026-01-01 10:00:00'", 'timestamp', null],
  ["'a'", 'string', '1::INTEGER', 'int', null],
  ['1::BIGINT', 'long', "'1'", 'string', null],
  ["'5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41'::UUID", 'uuid', "'5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41'", 'string', null],
  ["'a'", 'string', "'5d1e8f3a-92b4-4c7e-a1d6-0f2b9c8e7a41'::UUID", 'uuid', null],
  ["'10:00:00'::TIME", 'time', "TIMESTAMP '2026-01-01 10:00:00'", 'timestamp', null],
]

describe('widening on write', () => {
  it.each(CASES.map((c, i) => [i, ...c] as const))('case %i: %s (%s) <- %s (%s)', async (i, tableSql, tableType, inputSql, inputType, expected) => {
    const table = `w${i}`
    await repo.write(table, await parquet(`SELECT ${tableSql} AS c`), { commit: true, message: 'create' })
    const info = await repo.show('main', table)
    expect(info.table!.columns[0]!.type).toBe(tableType)
    const input = await parquet(`SELECT ${inputSql} AS c`)
    if (expected === null) {
      const before = await repo.resolve('main')
      await expect(repo.write(table, input, { commit: true, message: 'append' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(`column 'c' is ${inputType} in ${input} but ${tableType} in table '${table}'`),
      })
      expect(await repo.resolve('main')).toBe(before)
      return
    }
    await repo.write(table, input, { commit: true, message: 'append' })
    const s = new TextSink()
    await repo.cat(table, s, { format: 'csv' })
    expect(s.text.trim().split('\n').at(-1)).toBe(expected)
  })
})

/** [column before (DuckDB SQL), the type it is widened to, a value only the wider type holds (DuckDB SQL), as read back (CSV)] */
const ALTERED: Array<[string, string, string, string]> = [
  ['1::INTEGER', 'long', '5000000000::BIGINT', '5000000000'],
  ['1.5::FLOAT', 'double', '1e300::DOUBLE', '1e+300'],
  ['1.50::DECIMAL(5,2)', 'decimal(12,2)', '1234567890.12::DECIMAL(12,2)', '1234567890.12'],
]

describe('files written before and after `dv table alter widen`', () => {
  // the scan reads files with the same column names together: an older file's narrower type must not decide the group's
  it.each(ALTERED.map((c, i) => [i, ...c] as const))('case %i: %s widened to %s, then %s', async (i, before, wider, value, expected) => {
    const table = `a${i}`
    await repo.write(table, await parquet(`SELECT ${before} AS c`), { commit: true, message: 'create' })
    await repo.alterTable(table, { action: 'widen', path: 'c', type: wider })
    await repo.write(table, await parquet(`SELECT ${value} AS c`), { commit: true, message: 'append' })
    const s = new TextSink()
    await repo.cat(table, s, { format: 'csv' })
    expect(s.text.trim().split('\n').slice(1)).toEqual([expect.any(String), expected])
    const n = new TextSink()
    await repo.cat(table, n, { format: 'csv', where: `c = ${value}` })
    expect(n.text.trim().split('\n').slice(1)).toEqual([expected])
  })
})
