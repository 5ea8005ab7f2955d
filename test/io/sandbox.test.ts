/**
 * The sandbox's lock holds on its own, with the predicate allow-list bypassed
 * on purpose: raw SQL on the sandbox can read and write only its directories,
 * and cannot change its configuration or load code.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSandbox, sandboxCanRead, type Sandbox } from '../../src/io/sandbox.js'

let dir: string
let scratch: string
let data: string
let outside: string
let sandbox: Sandbox
const SECRET = 'dv-sandbox-secret-5c1e'

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-sandbox-'))
  scratch = join(dir, 'scratch')
  data = join(dir, 'data')
  outside = join(dir, 'outside')
  for (const d of [data, outside]) await (await import('node:fs/promises')).mkdir(d, { recursive: true })
  await writeFile(join(outside, 'secret.csv'), `a\n${SECRET}\n`)
  await writeFile(join(data, 'table.csv'), 'a\n1\n')
  sandbox = await openSandbox({ scratchDir: scratch, readableDirectories: [data], threads: 1 })
})

afterAll(async () => {
  sandbox.close()
  await rm(dir, { recursive: true, force: true })
})

async function failure(sql: string): Promise<string> {
  try {
    await sandbox.all(sql)
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
  throw new Error(`the sandbox ran: ${sql}`)
}

describe('the sandbox', () => {
  it('reads its directories, and writes its scratch directory', async () => {
    expect(await sandbox.all(`SELECT a FROM read_csv('${join(data, 'table.csv')}')`)).toEqual([{ a: '1' }])
    await sandbox.all(`COPY (SELECT 42 AS v) TO '${join(scratch, 'out.parquet')}' (FORMAT parquet)`)
    expect(await sandbox.all(`SELECT v FROM read_parquet('${join(scratch, 'out.parquet')}')`)).toEqual([{ v: 42 }])
  })

  it('reads no other file', async () => {
    expect(await failure("SELECT * FROM read_text('/etc/passwd')")).toMatch(/Permission Error/)
    expect(await failure(`SELECT * FROM read_csv('${join(outside, 'secret.csv')}')`)).toMatch(/Permission Error/)
    expect(await failure(`SELECT * FROM read_text('${join(data, '..', 'outside', 'secret.csv')}')`)).toMatch(/Permission Error/)
    expect(await failure(`SELECT * FROM glob('${outside}/*')`)).toMatch(/Permission Error/)
    expect(await failure(`SELECT * FROM read_parquet('${join(outside, '*.parquet')}')`)).toMatch(/Permission Error/)
  })

  it('writes no other file and attaches no other database', async () => {
    expect(await failure(`COPY (SELECT 1) TO '${join(outside, 'copy.csv')}'`)).toMatch(/Permission Error/)
    expect(existsSync(join(outside, 'copy.csv'))).toBe(false)
    expect(await failure(`ATTACH '${join(outside, 'x.db')}' AS x`)).toMatch(/Permission Error/)
    expect(existsSync(join(outside, 'x.db'))).toBe(false)
  })

  it('cannot change its configuration: the lock holds', async () => {
    for (const sql of [
      'SET enable_external_access = true',
      'RESET enable_external_access',
      "SET allowed_directories = ['/']",
      "SET allowed_paths = ['/etc/passwd']",
      'SET lock_configuration = false',
      "SET temp_directory = '/tmp'",
      'SET autoload_known_extensions = true',
      "SET GLOBAL TimeZone = 'Europe/Berlin'",
    ]) {
      // DuckDB itself refuses some of these once external access is off; the lock refuses the rest
      expect(await failure(sql), sql).toMatch(/Error/)
    }
    const [row] = await sandbox.all("SELECT current_setting('enable_external_access') AS ext, current_setting('lock_configuration') AS locked")
    expect(row).toEqual({ ext: false, locked: true })
    expect(await failure("SELECT * FROM read_text('/etc/passwd')")).toMatch(/Permission Error/)
  })

  it('installs and loads no extension', async () => {
    expect(await failure('INSTALL httpfs')).toMatch(/Permission Error|disabled/)
    expect(await failure('LOAD httpfs')).toMatch(/disabled|Permission Error/)
    expect(await failure("SELECT * FROM read_csv('https://example.com/x.csv')")).toMatch(/Permission Error|disabled|httpfs/)
  })

  it('never reads the secret, whatever failed', async () => {
    expect(await readFile(join(outside, 'secret.csv'), 'utf8')).toContain(SECRET)
    const rows = await sandbox.all("SELECT current_setting('allowed_directories') AS dirs")
    expect(JSON.stringify(rows)).not.toContain(SECRET)
  })

  it('tells which paths it may read', () => {
    const options = { scratchDir: scratch, readableDirectories: [data] }
    expect(sandboxCanRead(options, join(data, 'x.parquet'))).toBe(true)
    expect(sandboxCanRead(options, join(scratch, 'a', 'b.parquet'))).toBe(true)
    expect(sandboxCanRead(options, join(outside, 'secret.csv'))).toBe(false)
    expect(sandboxCanRead(options, `${data}-sibling/x.parquet`)).toBe(false)
    expect(sandboxCanRead({ ...options, readablePaths: [join(outside, 'secret.csv')] }, join(outside, 'secret.csv'))).toBe(true)
  })
})
