/** `dv gc` and `dv fsck --full` end to end: exit codes, the dry-run list, refusals that delete nothing. */
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv } from './run-dv.js'

let dir: string
let lake: string

async function objectCount(): Promise<number> {
  const root = path.join(lake, '.dv', 'objects')
  let n = 0
  for (const d of await readdir(root)) n += (await readdir(path.join(root, d))).length
  return n
}

beforeAll(async () => {
  buildIfStale()
  dir = await mkdtemp(path.join(tmpdir(), 'dv-cli-gc-'))
  lake = path.join(dir, 'lake')
  expect(runDv(['init', lake], { cwd: dir }).code).toBe(0)
  await writeFile(path.join(lake, 'a.csv'), 'id,v\n1,a\n2,b\n')
  await writeFile(path.join(lake, 'b.csv'), 'id,v\n3,c\n')
  expect(runDv(['write', 't', 'a.csv', '--commit', '-m', 'load'], { cwd: lake }).code).toBe(0)
  // a staged and then unstaged change leaves its data file unreferenced
  expect(runDv(['write', 't', 'b.csv'], { cwd: lake }).code).toBe(0)
  expect(runDv(['restore', '--staged'], { cwd: lake }).code).toBe(0)
}, 120_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('dv gc', () => {
  it('refuses a grace period under 1h without --force, and an unparseable one, with exit 2 and nothing deleted', async () => {
    const before = await objectCount()
    const low = runDv(['gc', '--grace', '10m'], { cwd: lake })
    expect(low.code).toBe(2)
    expect(low.stderr).toMatch(/grace period 10m is under the 1h floor/)
    expect(low.stderr).toMatch(/^hint: .*--force/m)
    const bad = runDv(['gc', '--grace', 'soon'], { cwd: lake })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/cannot parse duration 'soon'/)
    expect(await objectCount()).toBe(before)
  })

  it('keeps young garbage by default; the dry run lists exactly what the real run deletes', async () => {
    const before = await objectCount()
    const young = JSON.parse(runDv(['gc', '--json'], { cwd: lake }).stdout)
    expect(young.deleted).toEqual([])
    expect(young.young.objects).toBeGreaterThan(0)
    const dry = runDv(['gc', '--dry-run', '--grace', '0', '--force'], { cwd: lake })
    expect(dry.code, dry.stderr).toBe(0)
    const listed = dry.lines.filter((l) => l.startsWith('would delete ') && /[0-9a-f]{64}$/.test(l)).map((l) => l.slice(-64))
    expect(listed.length).toBeGreaterThan(0)
    expect(await objectCount()).toBe(before)
    const real = JSON.parse(runDv(['gc', '--grace', '0', '--force', '--json'], { cwd: lake }).stdout)
    expect(real.deleted.map((d: { id: string }) => d.id)).toEqual(listed)
    expect(await objectCount()).toBe(before - listed.length)
    const fsck = runDv(['fsck', '--full', '--json'], { cwd: lake })
    expect(fsck.code).toBe(0)
    expect(JSON.parse(fsck.stdout)).toMatchObject({ ok: true, full: true, dangling: 0 })
    expect(runDv(['cat', 't'], { cwd: lake }).lines).toEqual(['id,v', '1,a', '2,b'])
  })

  it('refuses with exit 4 while a stale ref lock exists, naming it', async () => {
    const lock = path.join(lake, '.dv', 'refs', 'branches', 'main.lock')
    await writeFile(lock, '')
    const old = new Date(Date.now() - 10 * 60_000)
    await utimes(lock, old, old)
    const r = runDv(['gc'], { cwd: lake })
    expect(r.code).toBe(4)
    expect(r.stderr).toContain(lock)
    await rm(lock)
  })
})
