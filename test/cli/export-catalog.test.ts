/**
 * `dv export --catalog` through the built CLI: the text and --json results,
 * and the exit code of each refusal (a catalog flag without --catalog 2, an
 * s3:// catalog 5, a locked catalog 4), with nothing written. PyIceberg
 * reading the catalog: test/interop/sql-catalog.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv } from './run-dv.js'

const work = mkdtempSync(path.join(tmpdir(), 'dv-export-catalog-'))
const repo = path.join(work, 'repo')
const cat = path.join(work, 'catalog.db')

beforeAll(() => {
  buildIfStale()
  expect(runDv(['init', repo], { cwd: work }).code).toBe(0)
  writeFileSync(path.join(work, '1.csv'), 'id,v\n1,10\n')
  expect(runDv(['write', 'sales.orders', path.join(work, '1.csv'), '--commit', '-m', 'one'], { cwd: repo }).code).toBe(0)
})

describe('dv export --catalog sql:PATH', () => {
  it('registers and says where; --json carries the registration', () => {
    const out = path.join(work, 'export')
    const r = runDv(['export', 'sales.orders', '--format', 'iceberg', '--to', out, '--catalog', `sql:${cat}`], { cwd: repo })
    expect(r.code).toBe(0)
    expect(r.lines[1]).toBe(`catalog: registered sales.orders in catalog 'dv' (${cat})`)
    const again = runDv(['export', 'sales.orders', '--format', 'iceberg', '--to', out, '--catalog', `sql:${cat}`, '--json'], { cwd: repo })
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ upToDate: true, catalog: { namespace: 'sales', tableName: 'orders', action: 'unchanged' } })
  })

  it('refuses a catalog flag without --catalog (exit 2), an s3:// catalog (exit 5), a locked catalog (exit 4): nothing written', () => {
    const out = path.join(work, 'refused')
    const orphan = runDv(['export', 'sales.orders', '--format', 'iceberg', '--to', out, '--namespace', 'x'], { cwd: repo })
    expect(orphan.code).toBe(2)
    expect(orphan.stderr).toMatch(/--namespace names a catalog entry: it needs --catalog sql:PATH/)
    const s3 = runDv(['export', 'sales.orders', '--format', 'iceberg', '--to', out, '--catalog', 'sql:s3://bucket/c.db'], { cwd: repo })
    expect(s3.code).toBe(5)
    expect(s3.stderr).toMatch(/must be a SQLite file on a local file system/)
    const bytes = readFileSync(cat)
    writeFileSync(`${cat}.dv-lock`, '')
    const locked = runDv(['export', 'sales.orders', '--format', 'iceberg', '--to', out, '--catalog', `sql:${cat}`], { cwd: repo })
    expect(locked.code).toBe(4)
    expect(locked.stderr).toMatch(/is locked by another dv export/)
    expect(existsSync(out)).toBe(false)
    expect(readFileSync(cat).equals(bytes)).toBe(true)
  })
})
