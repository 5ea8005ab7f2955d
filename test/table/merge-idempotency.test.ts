/**
 * `merge` with an idempotency key (format-spec/merge.md#idempotency): a
 * retry returns the merge commit that landed, even after the target moved;
 * the key reused for another source is a CONFLICT that writes nothing; two
 * repositories racing the same keyed merge make one merge commit; keys of
 * commits on both sides stay findable after the merge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository, type DvError } from '../../src/index.js'

let dir: string
let seq = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-merge-idem-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const day = (d: number, id: number) => `${id},2026-01-0${d} 10:00:00,r${id}`

async function csv(...rows: string[]): Promise<string> {
  const path = join(dir, `in-${seq++}.csv`)
  await writeFile(path, `id,ts,v\n${rows.map((r) => `${r}\n`).join('')}`)
  return path
}

/** main: days 1-2; branches b (appends day 3) and c (appends day 4), main appends day 1 afterwards. */
async function scenario(name: string): Promise<Repository> {
  const repo = await Repository.init(join(dir, name), { author: 'idem' })
  await repo.write('events', await csv(day(1, 1), day(2, 2)), { partitionBy: 'day(ts)', commit: true, message: 'base' })
  await repo.createBranch('b')
  await repo.createBranch('c')
  await repo.write('events', await csv(day(3, 3)), { branch: 'b', commit: true, message: 'on b', idempotencyKey: 'write-on-b' })
  await repo.write('events', await csv(day(4, 4)), { branch: 'c', commit: true, message: 'on c' })
  await repo.write('events', await csv(day(1, 5)), { commit: true, message: 'on main', idempotencyKey: 'write-on-main' })
  return repo
}

describe('merge --idempotency-key', () => {
  it('a retry returns the landed merge commit, even after the target moved; nothing is written', async () => {
    const repo = await scenario('retry')
    const first = await repo.merge('b', { idempotencyKey: 'k1' })
    expect(first).toMatchObject({ status: 'merged', idempotentReplay: false })
    const [landed] = await repo.log({ limit: 1 })
    expect(landed!.idempotencyKey).toBe('k1')
    await repo.write('events', await csv(day(2, 6)), { commit: true, message: 'main moves on' })
    const moved = await repo.resolve('main')
    const reflog = (await repo.reflog('main')).entries.length
    const again = await repo.merge('b', { idempotencyKey: 'k1' })
    expect(again).toMatchObject({ status: 'merged', idempotentReplay: true, snapshot: first.snapshot, previous: moved, tables: first.tables })
    expect(await repo.resolve('main')).toBe(moved)
    expect((await repo.reflog('main')).entries).toHaveLength(reflog)
    expect(await repo.log({ idempotencyKey: 'k1' })).toHaveLength(1)
    await repo.close()
  }, 60_000)

  it('the same key for another source is a CONFLICT naming the key and the snapshot, and writes nothing', async () => {
    const repo = await scenario('reuse')
    const first = await repo.merge('b', { idempotencyKey: 'k1' })
    const head = await repo.resolve('main')
    const e = await repo.merge('c', { idempotencyKey: 'k1' }).catch((x: DvError) => x) as DvError
    expect(e.code).toBe('CONFLICT')
    expect(e.retryable).toBe(false)
    expect(e.message).toBe(`idempotency key 'k1' was already used by snapshot ${first.snapshot.slice(0, 7)} on branch 'main' for the merge of ${(await repo.resolve('b')).slice(0, 7)}, not for this merge of 'c' (${(await repo.resolve('c')).slice(0, 7)})`)
    expect(e.hint).toMatch(/new key/)
    // another strategy is another request too; and a key a write used
    await expect(repo.merge('b', { idempotencyKey: 'k1', strategy: 'theirs' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('with other options') })
    await expect(repo.merge('c', { idempotencyKey: 'write-on-main' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('for another request') })
    expect(await repo.resolve('main')).toBe(head)
    await repo.close()
  }, 60_000)

  it('a keyed merge that could fast-forward makes a merge commit holding the key', async () => {
    const repo = await scenario('ff')
    await repo.createBranch('d', 'main')
    await repo.write('events', await csv(day(5, 7)), { branch: 'd', commit: true, message: 'on d' })
    const before = await repo.resolve('main')
    const r = await repo.merge('d', { idempotencyKey: 'k-ff' })
    expect(r.status).toBe('merged')
    const [head] = await repo.log({ limit: 1 })
    expect(head!.parents).toEqual([before, await repo.resolve('d')])
    expect((await repo.merge('d', { idempotencyKey: 'k-ff' })).idempotentReplay).toBe(true)
    // without a key it is still a fast-forward
    await repo.createBranch('e', 'main')
    await repo.write('events', await csv(day(6, 8)), { branch: 'e', commit: true, message: 'on e' })
    expect((await repo.merge('e')).status).toBe('fast-forward')
    await repo.close()
  }, 60_000)

  it('an empty key is INVALID_ARGUMENT', async () => {
    const repo = await scenario('empty')
    const head = await repo.resolve('main')
    await expect(repo.merge('b', { idempotencyKey: ' ' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'the idempotency key is empty' })
    expect(await repo.resolve('main')).toBe(head)
    await repo.close()
  }, 60_000)

  it('two repositories racing the same keyed merge: one merge commit, both return it', async () => {
    const repo = await scenario('race')
    const other = await Repository.open(join(dir, 'race'))
    const before = await repo.resolve('main')
    const [a, b] = await Promise.all([repo.merge('b', { idempotencyKey: 'race' }), other.merge('b', { idempotencyKey: 'race' })])
    expect(a.snapshot).toBe(b.snapshot)
    expect([a.idempotentReplay, b.idempotentReplay].sort()).toEqual([false, true])
    const [head, parent] = await repo.log({ limit: 2 })
    expect(head!.snapshot).toBe(a.snapshot)
    expect(parent!.snapshot).toBe(before)
    await other.close()
    await repo.close()
  }, 60_000)

  it('keys of commits on both sides stay findable after the merge: their retries are replays', async () => {
    const repo = await scenario('both-sides')
    await repo.merge('b', { idempotencyKey: 'k-merge' })
    const head = await repo.resolve('main')
    const onB = await repo.write('events', await csv(day(3, 3)), { branch: 'main', commit: true, message: 'on b', idempotencyKey: 'write-on-b' })
    const onMain = await repo.write('events', await csv(day(1, 5)), { commit: true, message: 'on main', idempotencyKey: 'write-on-main' })
    expect(onB.commit!.idempotentReplay).toBe(true)
    expect(onMain.commit!.idempotentReplay).toBe(true)
    expect(await repo.resolve('main')).toBe(head)
    expect(await repo.log({ idempotencyKey: 'write-on-b' })).toHaveLength(1)
    await repo.close()
  }, 60_000)
})
