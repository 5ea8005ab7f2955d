/**
 * The peer benchmark's arithmetic and its read-back check (bench/peers/):
 * the best peer and dv's ratio to it, the cells, and the mismatches that make
 * a run exit non-zero. The runs themselves need Python and minutes
 * (`npm run bench -- --peers`); this covers what decides their verdicts.
 */
import { tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { parsePeerArgs } from '../../bench/peers/main.js'
import { expectedStats, mismatches, statsOfBatches, type ReadBack } from '../../bench/peers/stats.js'
import { formatCell, renderPeerTable, summarizeRow, type ResultRow } from '../../bench/peers/table.js'

const row = (cells: ResultRow['cells']): ResultRow => ({ item: 'one-row append', measure: 'process wall', unit: 'ms', cells })

describe('peer table', () => {
  it('takes the peer with the lowest median as best, skipping dv and n/a, and divides dv by it', () => {
    const r = summarizeRow(row({
      'dv-cli': { samples: [300, 260, 310] },
      'dv-lib': { samples: [90, 100, 80] },
      deltalake: { samples: [170, 200, 150] },
      pyiceberg: { samples: [120, 900, 800] },
      duckdb: { na: 'DuckDB has no table commits' },
    }))
    expect(r.best).toEqual({ system: 'deltalake', median: 170 })
    expect(r.ratios['dv-cli']).toBeCloseTo(300 / 170, 10)
    expect(r.ratios['dv-lib']).toBeCloseTo(90 / 170, 10)
    expect(r.cells.pyiceberg).toMatchObject({ median: 800, min: 120, max: 900 })
  })

  it('has no best peer and no ratio when no peer ran (python tools missing)', () => {
    const r = summarizeRow(row({ 'dv-cli': { samples: [1] }, 'dv-lib': { samples: [2] } }))
    expect(r.best).toBeUndefined()
    expect(r.ratios).toEqual({})
    expect(renderPeerTable([r]).split('\n')[2]).toMatch(/ - +- +-$/)
  })

  it('prints median (min-max), a lone sample alone, and n/a', () => {
    expect(formatCell({ median: 2.5, min: 1, max: 150, samples: [1, 2.5, 150] })).toBe('2.50 (1.00-150)')
    expect(formatCell({ median: 12.34, min: 12.34, max: 12.34, samples: [12.34] })).toBe('12.3')
    expect(formatCell({ na: 'no branches' })).toBe('n/a')
    expect(formatCell(undefined)).toBe('-')
  })
})

describe('read-back check', () => {
  const stats = (rows: number, sumId: string, sumValue: number) => ({ rows, sumId, sumValue })

  it('knows the rows and sum(id) of the generated data after N one-row appends', () => {
    expect(expectedStats(1000, 0)).toEqual({ rows: 1000, sumId: '499500' })
    expect(expectedStats(1000, 3)).toEqual({ rows: 1003, sumId: String(499500 + 3 * 1000) })
    // beyond 2^53: exact
    expect(expectedStats(200_000_000, 0).sumId).toBe('19999999900000000')
  })

  it('passes systems that agree, and ones that differ only in the last bits of a double sum', () => {
    const expected = expectedStats(1000, 0)
    const backs: ReadBack[] = [
      { system: 'dv-lib', stats: stats(1000, '499500', 5201806.278599997), expected },
      { system: 'deltalake', stats: stats(1000, '499500', 5201806.2786), expected },
    ]
    expect(mismatches('ingest', backs)).toEqual([])
  })

  it('flags a wrong row count, a wrong sum(id) and a different sum(value), naming the system', () => {
    const expected = expectedStats(1000, 0)
    const found = mismatches('ingest', [
      { system: 'dv-lib', stats: stats(1000, '499500', 100.5), expected },
      { system: 'deltalake', stats: stats(999, '499500', 100.5), expected },
      { system: 'pyiceberg', stats: stats(1000, '499501', 100.5), expected },
      { system: 'duckdb', stats: stats(1000, '499500', 100.6), expected },
    ])
    expect(found).toHaveLength(3)
    expect(found[0]).toMatch(/deltalake read back 999 rows/)
    expect(found[1]).toMatch(/pyiceberg .* sum\(id\) 499501/)
    expect(found[2]).toMatch(/duckdb read back sum\(value\) 100.6, dv-lib 100.5/)
  })

  it('compares sum(value) only among systems that did the same work', () => {
    const found = mismatches('append', [
      { system: 'dv-lib', stats: stats(1001, '500500', 200), expected: expectedStats(1000, 1) },
      { system: 'duckdb', stats: stats(1000, '499500', 100), expected: expectedStats(1000, 0) },
    ])
    expect(found).toEqual([])
  })

  it('sums Arrow batches exactly (BigInt ids)', () => {
    const batches = tableFromArrays({ id: BigInt64Array.from([1n, 2n, 2n ** 60n]), value: Float64Array.from([0.5, 0.25, 1]) }).batches
    expect(statsOfBatches(batches)).toEqual({ rows: 3, sumId: String(3n + 2n ** 60n), sumValue: 1.75 })
  })
})

describe('peer arguments', () => {
  it('reads sizes and items, and refuses what it does not know', () => {
    expect(parsePeerArgs(['--peers', '--rows', '1000', '--only', 'csv,branch', '--json'])).toMatchObject({ rows: 1000, json: true, only: new Set(['csv', 'branch']) })
    expect(() => parsePeerArgs(['--rows', '0'])).toThrow(/--rows takes a positive whole number/)
    expect(() => parsePeerArgs(['--only', 'csv,nope'])).toThrow(/unknown item\(s\) nope/)
    expect(() => parsePeerArgs(['--big'])).toThrow(/unknown argument --big/)
  })
})
