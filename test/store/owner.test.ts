/**
 * Temporary entries named after their owner (src/store/owner.ts): removed
 * only when that process is known to be gone (exited, or its pid reused by a
 * process that started at another time), never one that may still run.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { currentOwner, listTemp, ownedName, ownerOf, ownerState, processStartTime, sweepTemp } from '../../src/store/owner.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-owner-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

/** The pid of a process that has exited. */
function exitedPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

describe('owners', () => {
  it('names carry host, pid and start time, and parse back', () => {
    const name = ownedName('proc', 'abc123')
    const me = currentOwner()
    expect(name).toBe(`proc.${me.host}.${process.pid}.${me.start}.abc123`)
    expect(ownerOf(name)).toEqual({ kind: 'proc', owner: me })
    expect(ownerOf('write-abc')).toBeUndefined()
    if (process.platform === 'linux') expect(me.start).toMatch(/^\d+$/)
  })

  it('this process is alive; an exited one is gone; a reused pid (another start time) is gone; another host is unknown', () => {
    const me = currentOwner()
    expect(ownerState(me)).toBe('alive')
    expect(ownerState({ ...me, pid: exitedPid() })).toBe('gone')
    expect(ownerState({ ...me, host: '00000000' === me.host ? '11111111' : '00000000' })).toBe('unknown')
    if (process.platform === 'linux') {
      // the parent of this test process runs, but did not start when this one did
      const parent = process.ppid
      expect(ownerState({ ...me, pid: parent, start: processStartTime(parent)! })).toBe('alive')
      expect(ownerState({ ...me, pid: parent, start: String(Number(processStartTime(parent)) + 1) })).toBe('gone')
    }
    // no start time recorded: a live pid is given the benefit of the doubt
    expect(ownerState({ ...me, pid: process.ppid, start: 'x' })).toBe('alive')
  })
})

describe('sweeping a temporary directory', () => {
  it('removes only the entries whose owner is gone, and lists every entry with its size', async () => {
    const tmp = join(dir, 'tmp')
    const me = currentOwner()
    const dead = exitedPid()
    const names = {
      mine: ownedName('proc'),
      dead: `proc.${me.host}.${dead}.${me.start}.aaaa`,
      deadObject: `obj.${me.host}.${dead}.x.bbbb`,
      otherHost: `proc.${me.host === 'ffffffff' ? 'eeeeeeee' : 'ffffffff'}.${dead}.1.cccc`,
      legacy: 'write-abc',
    }
    await mkdir(join(tmp, names.mine, 'duckdb-spill'), { recursive: true })
    await writeFile(join(tmp, names.mine, 'duckdb-spill', 'x'), Buffer.alloc(1000))
    await mkdir(join(tmp, names.dead, 'write-1'), { recursive: true })
    await writeFile(join(tmp, names.dead, 'write-1', 'part.parquet'), Buffer.alloc(5000))
    await writeFile(join(tmp, names.deadObject), Buffer.alloc(300))
    await mkdir(join(tmp, names.otherHost))
    await writeFile(join(tmp, names.legacy), Buffer.alloc(7))

    const listed = await listTemp(tmp)
    expect(Object.fromEntries(listed.map((e) => [e.path.slice(tmp.length + 1), [e.bytes, e.state]]))).toEqual({
      [names.mine]: [1000, 'alive'],
      [names.dead]: [5000, 'gone'],
      [names.deadObject]: [300, 'gone'],
      [names.otherHost]: [0, 'unknown'],
      [names.legacy]: [7, 'unknown'],
    })
    const removed = await sweepTemp(tmp)
    expect(removed.map((e) => e.bytes).sort()).toEqual([300, 5000])
    expect((await readdir(tmp)).sort()).toEqual([names.mine, names.otherHost, names.legacy].sort())
    expect(existsSync(join(tmp, names.mine, 'duckdb-spill', 'x'))).toBe(true)
  })

  it('a missing directory lists nothing', async () => {
    expect(await listTemp(join(dir, 'nope'))).toEqual([])
    expect(await sweepTemp(join(dir, 'nope'))).toEqual([])
  })
})
