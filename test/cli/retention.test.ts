/**
 * `dv retention` and `dv expire` end to end (format-spec/retention.md): exit
 * codes, the expired-read message, log marks, the dry run, and bad or
 * contradicting flags that exit 2 and write nothing.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, runDv } from './run-dv.js'

let dir: string
let lake: string
const heads: string[] = []

beforeAll(async () => {
  buildIfStale()
  dir = await mkdtemp(path.join(tmpdir(), 'dv-cli-retention-'))
  lake = path.join(dir, 'lake')
  expect(runDv(['init', lake], { cwd: dir }).code).toBe(0)
  for (const [i, rows] of ['1,a\n2,b\n', '3,c\n', '4,d\n'].entries()) {
    await writeFile(path.join(lake, `in${i}.csv`), `id,v\n${rows}`)
    const w = runDv(['write', 't', `in${i}.csv`, '--mode', i === 0 ? 'append' : 'overwrite', '--commit', '-m', `load ${i}`, ...(i === 0 ? ['--idempotency-key', 'load-0'] : []), '--json'], { cwd: lake })
    expect(w.code, w.stderr).toBe(0)
    heads.push(JSON.parse(w.stdout).commit.snapshot)
  }
  expect(runDv(['tag', 'first', heads[0]!], { cwd: lake }).code).toBe(0)
}, 120_000)
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const settingsRef = () => path.join(lake, '.dv', 'refs', 'settings')

describe('dv retention set: bad input', () => {
  it.each([
    [['--keep-days', '0'], /invalid --keep-days "0"/],
    [['--keep-days', '-1'], /invalid --keep-days "-1"/],
    [['--keep-days', '2.5'], /invalid --keep-days "2.5"/],
    [['--keep-days', '3 weeks'], /retention counts whole days/],
    [['--keep-last', 'ten'], /invalid --keep-last "ten"/],
    [[], /needs --keep-days or --keep-last/],
    [['--keep-last', '2', '--keep-last', '3'], /--keep-last is given 2 times with different values/],
    [['--default', '--keep-last', '2'], /got both branch 'main' and --default/],
  ])('retention set main %j exits 2 and writes nothing', (flags, message) => {
    const r = runDv(['retention', 'set', 'main', ...flags], { cwd: lake })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).toMatch(/^hint: /m)
    expect(existsSync(settingsRef())).toBe(false)
  })
})

describe('dv expire', () => {
  it('expires, refuses reads of expired snapshots with exit 3, keeps tags, marks dv log, and the key still answers', async () => {
    expect(JSON.parse(runDv(['expire', '--json'], { cwd: lake }).stdout)).toMatchObject({ policies: false, expired: [] })
    const set = runDv(['retention', 'set', 'main', '--keep-last', '1'], { cwd: lake })
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toMatch(/branch main: retention keep-last 1/)
    expect(runDv(['retention', 'set', '--keep-days', '30d', '--keep-last', '1'], { cwd: lake }).code).toBe(0)
    expect(runDv(['retention', 'show'], { cwd: lake }).lines).toEqual(['default: keep-days 30, keep-last 1', 'main: keep-last 1'])

    const dry = runDv(['expire', '--dry-run', '--json'], { cwd: lake })
    expect(dry.code, dry.stderr).toBe(0)
    const real = runDv(['expire', '--json'], { cwd: lake })
    expect(real.code, real.stderr).toBe(0)
    const [d, r] = [JSON.parse(dry.stdout), JSON.parse(real.stdout)]
    expect(r.expired).toEqual(d.expired)
    expect(r.released).toEqual(d.released)
    // the commits are all young (30 days by the default) but main keeps only its last: what main alone reaches expires
    const expired = r.expired.map((e: { snapshot: string }) => e.snapshot)
    expect(expired).toContain(heads[1])
    expect(expired).not.toContain(heads[0]) // the tag keeps it
    expect(expired).not.toContain(heads[2]) // main points at it

    const cat = runDv(['cat', 't', '--at', heads[1]!.slice(0, 10)], { cwd: lake })
    expect(cat.code).toBe(3)
    expect(cat.stderr).toMatch(/is expired by retention \(policy keep-last=1 on branch main, expired at /)
    expect(cat.stderr).toMatch(/^hint: .*dv log/m)
    expect(runDv(['cat', 't', '--at', 'first'], { cwd: lake }).stdout).toBe('id,v\n1,a\n2,b\n')
    expect(runDv(['branch', 'back', 'main~1'], { cwd: lake }).code).toBe(3)
    const show = runDv(['show', heads[1]!.slice(0, 10)], { cwd: lake })
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(/^Expired: .* by retention \(keep-last=1 on branch main\)/m)
    expect(show.lines.at(-1)).toBe(`tables at ${heads[1]!.slice(0, 7)}: not kept (expired by retention; read a kept commit)`)
    expect(runDv(['show', heads[1]!.slice(0, 10), 't'], { cwd: lake }).code).toBe(3)

    const log = runDv(['log', '--oneline'], { cwd: lake })
    expect(log.code, log.stderr).toBe(0)
    expect(log.lines.find((l) => l.startsWith(heads[1]!.slice(0, 7)))).toMatch(/\(expired\) load 1$/)
    expect(log.lines.find((l) => l.startsWith(heads[2]!.slice(0, 7)))).not.toMatch(/expired/)
    expect(runDv(['log'], { cwd: lake }).stdout).toMatch(/^Expired: .* by retention \(keep-last=1 on branch main\)/m)

    const again = runDv(['write', 't', 'in0.csv', '--commit', '-m', 'load 0', '--idempotency-key', 'load-0', '--json'], { cwd: lake })
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout).commit.snapshot).toBe(heads[0])

    const gc = runDv(['gc', '--grace', '0', '--force', '--json'], { cwd: lake })
    expect(gc.code, gc.stderr).toBe(0)
    expect(JSON.parse(gc.stdout).deleted.length).toBe(r.released.objects)
    const fsck = runDv(['fsck', '--full', '--json'], { cwd: lake })
    expect(fsck.code, fsck.stdout).toBe(0)
    expect(JSON.parse(fsck.stdout)).toMatchObject({ ok: true, expired: expired.length })
    expect(await readFile(path.join(lake, '.dv', 'refs', 'expiry'), 'utf8')).toMatch(new RegExp(`^${r.record}`))

    // an Iceberg export of the whole history stops at the expired snapshot, whose objects gc deleted
    const ice = path.join(dir, 'ice')
    const exp = runDv(['export', 't', '--format', 'iceberg', '--to', ice, '--all-history', '--json'], { cwd: lake })
    expect(exp.code, exp.stderr).toBe(0)
    expect(JSON.parse(exp.stdout)).toMatchObject({ snapshot: heads[2], snapshots: 1, expiredAt: heads[1] })
    const metadata = JSON.parse(await readFile(path.join(ice, 'metadata', 'v1.metadata.json'), 'utf8'))
    expect(metadata.snapshots.map((s: { summary: Record<string, string> }) => s.summary['dv.snapshot-id'])).toEqual([heads[2]])
    for (const s of metadata.snapshots) expect(existsSync(new URL(s['manifest-list']))).toBe(true)
    const text = runDv(['export', 't', '--format', 'iceberg', '--to', path.join(dir, 'ice-text'), '--all-history'], { cwd: lake })
    expect(text.stdout).toContain(`history stops at ${heads[1]!.slice(0, 12)}, expired by retention`)
  })
})
