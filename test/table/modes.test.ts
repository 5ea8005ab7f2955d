/** Write modes end to end on a local repository (format-spec/write-modes.md). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let seq = 0
async function csv(header: string, rows: string[]): Promise<string> {
  const p = join(dir, `m-${seq++}.csv`)
  await writeFile(p, `${header}\n${rows.join('\n')}\n`)
  return p
}
async function rows(repo: Repository, table: string, at?: string): Promise<string[]> {
  const s = new TextSink()
  await repo.cat(table, s, { at, format: 'csv', columns: ['id', 'v'] })
  return s.text.trim().split('\n').slice(1).sort()
}
const ev = (id: number, d: number, v = `v${id}`) => `${id},2026-01-0${d} 10:00:00,${v}`

let repo: Repository
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-modes-'))
  repo = await Repository.init(join(dir, 'lake'), { author: 'modes' })
  await repo.write('events', await csv('id,ts,v', [ev(1, 1), ev(2, 1), ev(3, 2), ev(4, 2), ev(5, 3)]), { partitionBy: 'day(ts)', commit: true, message: 'base' })
  await repo.write('flat', await csv('id,ts,v', [ev(1, 1), ev(2, 2)]), { commit: true, message: 'flat' })
})
afterAll(async () => {
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

describe('write modes', () => {
  it('replace-partitions replaces exactly the input partitions', async () => {
    const r = await repo.write('events', await csv('id,ts,v', [ev(30, 2), ev(31, 2)]), { mode: 'replace-partitions', commit: true, message: 'fix day 2' })
    expect(r.removedFiles).toBe(1)
    expect(r.removedRows).toBe(2)
    expect(r.commit!.tables.events).toMatchObject({ operation: 'replace-partitions', addedRows: 2, removedRows: 2 })
    expect(await rows(repo, 'events')).toEqual(['1,v1', '2,v2', '30,v30', '31,v31', '5,v5'])
    await expect(repo.write('flat', await csv('id,ts,v', [ev(9, 1)]), { mode: 'replace-partitions', commit: true, message: 'x' }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('delete --where rewrites only the files holding matching rows', async () => {
    const before = await repo.resolve('main')
    const r = await repo.delete('events', 'id = 1', { commit: true, message: 'drop 1' })
    expect(r.removedFiles).toBe(1) // only day 1's file
    expect(r.files).toBe(1) // its survivor
    expect(r.commit!.tables.events).toMatchObject({ operation: 'delete', removedRows: 2, addedRows: 1 })
    expect(await rows(repo, 'events')).toEqual(['2,v2', '30,v30', '31,v31', '5,v5'])
    expect(await rows(repo, 'events', before)).toContain('1,v1') // time travel still sees it
    const none = await repo.delete('events', 'id = 999', { commit: true, message: 'nothing' })
    expect(none.removedFiles).toBe(0)
  })

  it('overwrite --where replaces the matching rows and requires every input row to match', async () => {
    await repo.write('events', await csv('id,ts,v', [ev(5, 3, 'new5')]), { mode: 'overwrite', where: "ts >= '2026-01-03'", commit: true, message: 'redo day 3' })
    expect(await rows(repo, 'events')).toEqual(['2,v2', '30,v30', '31,v31', '5,new5'])
    await expect(repo.write('events', await csv('id,ts,v', [ev(6, 1)]), { mode: 'overwrite', where: "ts >= '2026-01-03'", commit: true, message: 'x' }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('1 input row') })
  })

  it('upsert replaces existing keys and inserts new ones; bad keys fail', async () => {
    const r = await repo.write('events', await csv('id,ts,v', [ev(2, 1, 'up2'), ev(7, 3)]), { mode: 'upsert', key: ['id'], commit: true, message: 'upsert' })
    expect(r.commit!.tables.events.operation).toBe('upsert')
    expect(await rows(repo, 'events')).toEqual(['2,up2', '30,v30', '31,v31', '5,new5', '7,v7'])
    const head = await repo.resolve('main')
    await expect(repo.write('events', await csv('id,ts,v', [ev(8, 1), ev(8, 2)]), { mode: 'upsert', key: ['id'], commit: true, message: 'x' }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('8') })
    await expect(repo.write('events', await csv('id,ts,v', ['', `,2026-01-01 10:00:00,x`].slice(1)), { mode: 'upsert', key: ['id'], commit: true, message: 'x' }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(repo.write('events', await csv('id,ts,v', [ev(9, 1)]), { mode: 'upsert', key: ['nope'], commit: true, message: 'x' }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(repo.write('events', await csv('id,ts,v', [ev(9, 1)]), { mode: 'upsert', commit: true, message: 'x' }))
      .rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await repo.resolve('main')).toBe(head)
  })

  it('rejects bad predicates and modes without writing anything', async () => {
    const head = await repo.resolve('main')
    await expect(repo.delete('events', 'nosuch > 1', { commit: true, message: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('nosuch') })
    await expect(repo.delete('events', 'id >>> 1', { commit: true, message: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(repo.write('events', undefined, { mode: 'delete', commit: true, message: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(repo.write('events', await csv('id', ['1']), { mode: 'merge' as never, commit: true, message: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await repo.resolve('main')).toBe(head)
  })

  it('idempotency keys: replay returns the original snapshot; a reused key with other content conflicts', async () => {
    const input = await csv('id,ts,v', [ev(40, 1)])
    const first = await repo.write('events', input, { commit: true, message: 'once', idempotencyKey: 'load-40' })
    const again = await repo.write('events', input, { commit: true, message: 'once', idempotencyKey: 'load-40' })
    expect(again.commit).toMatchObject({ snapshot: first.commit!.snapshot, idempotentReplay: true })
    expect(await repo.resolve('main')).toBe(first.commit!.snapshot)
    await expect(repo.write('events', await csv('id,ts,v', [ev(41, 1)]), { commit: true, message: 'x', idempotencyKey: 'load-40' }))
      .rejects.toMatchObject({ code: 'CONFLICT' })
    expect((await repo.log({ idempotencyKey: 'load-40' })).map((e) => e.snapshot)).toEqual([first.commit!.snapshot])
    // keys travel with history: a branch made afterwards carries them
    await repo.createBranch('later')
    const onBranch = await repo.write('events', input, { commit: true, message: 'once', idempotencyKey: 'load-40', branch: 'later' })
    expect(onBranch.commit!.idempotentReplay).toBe(true)
  })
})
