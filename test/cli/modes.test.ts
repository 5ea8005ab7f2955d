/** `dv write --mode …`, `dv log --idempotency-key`, `dv fsck`, `dv doctor` and `dv init --remote` end to end. */
import { mkdtemp, rm, writeFile, chmod, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv } from './run-dv.js'
import { createTestBucket, s3Endpoint } from '../support/s3-server.js'

let dir: string
let lake: string
beforeAll(async () => {
  buildIfStale()
  dir = await mkdtemp(path.join(tmpdir(), 'dv-cli-modes-'))
  lake = path.join(dir, 'lake')
  expect(runDv(['init', lake], { cwd: dir }).code).toBe(0)
  await writeFile(path.join(lake, 'e.csv'), 'id,ts,v\n1,2026-01-01 10:00:00,a\n2,2026-01-02 10:00:00,b\n3,2026-01-02 11:00:00,c\n')
  await writeFile(path.join(lake, 'u.csv'), 'id,ts,v\n3,2026-01-02 11:00:00,C\n9,2026-01-03 10:00:00,z\n')
  await writeFile(path.join(lake, 'dup.csv'), 'id,ts,v\n3,2026-01-02 11:00:00,C\n3,2026-01-03 10:00:00,z\n')
  expect(runDv(['write', 'events', 'e.csv', '--partition-by', 'day(ts)', '--commit', '-m', 'load'], { cwd: lake }).code).toBe(0)
}, 120_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const cat = () => runDv(['cat', 'events'], { cwd: lake }).lines.slice(1).sort()

describe('dv write modes', () => {
  it('delete, upsert and replace-partitions change only what they should', () => {
    const del = runDv(['write', 'events', '--mode', 'delete', '--where', 'id = 2', '--commit', '-m', 'del', '--json'], { cwd: lake })
    expect(del.code, del.stderr).toBe(0)
    expect(JSON.parse(del.stdout)).toMatchObject({ mode: 'delete', removedFiles: 1, removedRows: 2, rows: 1 })
    expect(cat()).toEqual(['1,2026-01-01 10:00:00,a', '3,2026-01-02 11:00:00,c'])
    const up = runDv(['write', 'events', 'u.csv', '--mode', 'upsert', '--key', 'id', '--commit', '-m', 'up'], { cwd: lake })
    expect(up.code, up.stderr).toBe(0)
    expect(up.lines[1]).toContain('(upsert)')
    expect(cat()).toEqual(['1,2026-01-01 10:00:00,a', '3,2026-01-02 11:00:00,C', '9,2026-01-03 10:00:00,z'])
    expect(runDv(['write', 'events', 'e.csv', '--mode', 'replace-partitions', '--commit', '-m', 'rp'], { cwd: lake }).code).toBe(0)
    // days 1 and 2 replaced by e.csv; day 3 kept
    expect(cat()).toEqual(['1,2026-01-01 10:00:00,a', '2,2026-01-02 10:00:00,b', '3,2026-01-02 11:00:00,c', '9,2026-01-03 10:00:00,z'])
  })

  it('bad input exits 2 and changes nothing', () => {
    const head = runDv(['log', '-n', '1', '--json'], { cwd: lake }).stdout
    const cases: Array<[string[], string]> = [
      [['write', 'events', 'u.csv', '--mode', 'merge', '--commit', '-m', 'x'], 'merge'],
      [['write', 'events', '--mode', 'delete', '--where', 'nosuch = 1', '--commit', '-m', 'x'], 'nosuch'],
      [['write', 'events', '--mode', 'delete', '--where', 'id >>> 1', '--commit', '-m', 'x'], ''],
      [['write', 'events', 'dup.csv', '--mode', 'upsert', '--key', 'id', '--commit', '-m', 'x'], 'duplicate'],
      [['write', 'events', 'u.csv', '--mode', 'upsert', '--key', 'nope', '--commit', '-m', 'x'], 'nope'],
      [['write', 'events', 'u.csv', '--mode', 'overwrite', '--where', "ts < '2026-01-02'", '--commit', '-m', 'x'], 'do not satisfy'],
    ]
    for (const [args, needle] of cases) {
      const r = runDv(args, { cwd: lake })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr.toLowerCase()).toContain(needle)
    }
    expect(runDv(['log', '-n', '1', '--json'], { cwd: lake }).stdout).toBe(head)
  })

  it('idempotency keys: a retried write is a no-op and `log --idempotency-key` finds it', () => {
    const a = runDv(['write', 'events', 'u.csv', '--commit', '-m', 'k', '--idempotency-key', 'K1', '--json'], { cwd: lake })
    const b = runDv(['write', 'events', 'u.csv', '--commit', '-m', 'k', '--idempotency-key', 'K1', '--json'], { cwd: lake })
    expect(JSON.parse(b.stdout).commit).toMatchObject({ snapshot: JSON.parse(a.stdout).commit.snapshot, idempotentReplay: true })
    const log = JSON.parse(runDv(['log', '--idempotency-key', 'K1', '--json'], { cwd: lake }).stdout)
    expect(log).toHaveLength(1)
    expect(runDv(['write', 'events', 'e.csv', '--commit', '-m', 'k', '--idempotency-key', 'K1'], { cwd: lake }).code).toBe(4)
  })

  it('fsck is clean, then names a corrupted object with exit 5; doctor says what it checked', async () => {
    const ok = runDv(['fsck', '--json'], { cwd: lake })
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, problems: [] })
    expect(runDv(['doctor'], { cwd: lake }).lines).toContain('conditional writes: enforced, checked one request at a time')
    const head = JSON.parse(runDv(['log', '-n', '1', '--json'], { cwd: lake }).stdout)[0].snapshot as string
    const file = path.join(lake, '.dv', 'objects', head.slice(0, 2), head)
    const bytes = await readFile(file)
    await chmod(file, 0o644)
    bytes[10] ^= 0x20
    await writeFile(file, bytes)
    const bad = runDv(['fsck', '--json'], { cwd: lake })
    expect(bad.code).toBe(5)
    const doc = JSON.parse(bad.stdout)
    expect(doc.ok).toBe(false)
    expect(doc.problems[0].object).toBe(head)
    bytes[10] ^= 0x20
    await writeFile(file, bytes)
  })
})

describe.skipIf(!s3Endpoint)('dv init --remote', () => {
  it('keeps the store in S3 and the workspace local', async () => {
    const bucket = await createTestBucket('cli')
    const ws = path.join(dir, 'remote-ws')
    const env = { DV_CACHE_DIR: path.join(dir, 'cache') }
    const init = runDv(['init', ws, '--remote', `s3://${bucket}/lake`], { cwd: dir, env })
    expect(init.code, init.stderr).toBe(0)
    expect(init.stdout).toContain(`s3://${bucket}/lake`)
    await writeFile(path.join(ws, 'e.csv'), 'id\n1\n2\n')
    expect(runDv(['write', 't', 'e.csv', '--commit', '-m', 'remote'], { cwd: ws, env }).code).toBe(0)
    expect(runDv(['cat', 't', '-C', `s3://${bucket}/lake`], { cwd: dir, env }).lines).toEqual(['id', '1', '2'])
    expect(runDv(['doctor'], { cwd: ws, env }).code).toBe(0)
    const missing = runDv(['log', '-C', `s3://${bucket}/nothing-here`], { cwd: dir, env })
    expect(missing.code).toBe(3)
  }, 120_000)
})
