/**
 * What a killed process left in .dv/tmp (store/owner.ts) goes when the next
 * command opens the data engine, a read included: a reader that never writes
 * does not keep what a `kill -9` of an earlier read left. Entries of live
 * processes stay.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { currentOwner, ownedName } from '../../src/store/owner.js'
import { TextSink } from '../support/text-sink.js'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-read-sweep-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

/** The pid of a process that has exited. */
function exitedPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout)
}

it('a read sweeps what dead processes left in .dv/tmp, and keeps what live ones own', async () => {
  const root = join(dir, 'lake')
  const repo = await Repository.init(root)
  const csv = join(dir, 'in.csv')
  await writeFile(csv, 'id,v\n1,a\n2,b\n')
  await repo.write('t', csv, { commit: true, message: 'one' })
  await repo.close()

  const me = currentOwner()
  const tmp = join(root, '.dv', 'tmp')
  const dead = join(tmp, `proc.${me.host}.${exitedPid()}.${me.start}.dead01`)
  const alive = join(tmp, ownedName('proc', 'alive1'))
  for (const d of [dead, alive]) {
    await mkdir(d, { recursive: true })
    await writeFile(join(d, 'dv-scan-spooled.csv'), Buffer.alloc(5000))
  }

  const reader = await Repository.open(root)
  const out = new TextSink()
  await reader.cat('t', out, { format: 'csv' })
  await reader.close()
  expect(out.text).toBe('id,v\n1,a\n2,b\n')
  expect(existsSync(dead)).toBe(false)
  expect(existsSync(join(alive, 'dv-scan-spooled.csv'))).toBe(true)
})
