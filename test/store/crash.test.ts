/**
 * Crash at every durable step: a child process runs one storage operation and
 * SIGKILLs itself before its k-th step (DV_CRASH_AT=k), for k = 1..K where K
 * is measured by a dry run (DV_STEP_LOG). Afterwards the store must hold the
 * old or the new state, every visible object must verify, a leftover lock must
 * be reported clearly, and re-running the operation must succeed.
 */
import { cp, mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ObjectId, SnapshotId } from '../../src/ids.js'
import { openLocalStorage } from '../../src/store/local.js'
import type { Storage } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { ensureStoreBuilt } from './build-dist.js'
import { runChild } from './process-helpers.js'

const enc = new TextEncoder()
let storeIndex: string
let work: string
let template: string
let dataFile: string
let oldMain: SnapshotId

beforeAll(async () => {
  storeIndex = await ensureStoreBuilt()
  work = await mkdtemp(join(tmpdir(), 'dv-crash-'))
  dataFile = join(work, 'data.parquet')
  await writeFile(dataFile, Buffer.alloc(3 * 1024 * 1024 + 11, 7))
  template = join(work, 'template', '.dv')
  const storage = openLocalStorage(template)
  await storage.createConfig(enc.encode('{"format":1}'))
  const old = await storage.objects.put(enc.encode('old rows'))
  oldMain = (await storage.objects.put(enc.encode(JSON.stringify({ parent: null, objects: [old] })))) as SnapshotId
  await storage.refs.compareAndSwap('branches/main', null, oldMain)
  await storage.refs.compareAndSwap('tags/v1', null, oldMain)
}, 60_000)

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

async function freshCopy(name: string, from = template): Promise<string> {
  const root = join(work, name, '.dv')
  await cp(from, root, { recursive: true })
  return root
}

/** Every object visible under its final name verifies (no torn object is ever published). */
async function expectAllObjectsVerify(storage: Storage): Promise<void> {
  for await (const id of storage.objects.list()) await storage.objects.get(id)
}

/** The snapshot a ref names and every object it lists are readable. */
async function expectSnapshotReadable(storage: Storage, id: SnapshotId): Promise<void> {
  const snapshot = JSON.parse(new TextDecoder().decode(await storage.objects.get(id))) as { objects: ObjectId[] }
  for (const object of snapshot.objects) await storage.objects.get(object)
}

/**
 * A leftover lock is a clear CONFLICT naming it (checked on the first crash
 * point that leaves one: each check waits out the ~1 s lock timeout); after
 * removing it the ref can be updated again.
 */
async function expectLockReported(storage: Storage, ref: string, lock: string, check: boolean): Promise<boolean> {
  const present = await readFile(lock).then(() => true, () => false)
  if (!present) return false
  if (!check) {
    await unlink(lock)
    return true
  }
  const current = await storage.refs.get(ref)
  const err = await catchDvError(() => storage.refs.compareAndSwap(ref, current?.version ?? null, current?.snapshot ?? null))
  expect(err.code).toBe('CONFLICT')
  expect(err.hint).toContain(`remove ${lock}`)
  await unlink(lock)
  return true
}

/** Runs `fn(k)` for k = 1..count, a few at a time (each k works in its own copy of the store). */
async function forEachStep(count: number, fn: (k: number) => Promise<void>): Promise<void> {
  let next = 1
  const worker = async (): Promise<void> => {
    while (next <= count) await fn(next++)
  }
  await Promise.all([worker(), worker(), worker()])
}

async function dryRun(scenario: string, root: string): Promise<{ steps: string[]; stdout: string }> {
  const log = join(work, `${scenario}.steps`)
  const result = await runChild('crash-child.mjs', [storeIndex, scenario, root, dataFile], { DV_STEP_LOG: log })
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return { steps: (await readFile(log, 'utf8')).trim().split('\n'), stdout: result.stdout }
}

async function crashAt(scenario: string, root: string, k: number): Promise<void> {
  const result = await runChild('crash-child.mjs', [storeIndex, scenario, root, dataFile], { DV_CRASH_AT: String(k) })
  expect(result.signal, `step ${k}: ${result.stderr}`).toBe('SIGKILL')
}

describe('crash at every durable step (local store)', () => {
  it('a commit (3 object puts + ref CAS) leaves the ref old or new, never torn', async () => {
    const { steps, stdout: newMain } = await dryRun('commit', await freshCopy('commit-dry'))
    expect(steps.length).toBeGreaterThanOrEqual(15)
    expect(steps.slice(-5)).toEqual(['ref.lock-create', 'ref.lock-write', 'ref.lock-fsync', 'ref.rename', 'ref.dir-fsync'])
    let locks = 0
    await forEachStep(steps.length, async (k) => {
      const root = await freshCopy(`commit-${k}`)
      await crashAt('commit', root, k)
      const storage = openLocalStorage(root)
      const main = (await storage.refs.get('branches/main'))?.snapshot
      // SIGKILL lands before the k-th step: the ref changes exactly when the rename has run.
      expect(main, `crash before step ${k} (${steps[k - 1]})`).toBe(k <= steps.indexOf('ref.rename') + 1 ? oldMain : newMain)
      await expectAllObjectsVerify(storage)
      await expectSnapshotReadable(storage, main!)
      const lock = join(root, 'refs', 'branches', 'main.lock')
      if (await expectLockReported(storage, 'branches/main', lock, k === steps.indexOf('ref.rename') + 1)) locks++

      const rerun = await runChild('crash-child.mjs', [storeIndex, 'commit', root, dataFile])
      expect(rerun.code, rerun.stderr).toBe(0)
      const after = (await storage.refs.get('branches/main'))!.snapshot
      await expectSnapshotReadable(storage, after)
      await expectAllObjectsVerify(storage)
      const tmpLeft = await readdir(join(root, 'tmp'))
      expect(tmpLeft.length).toBeLessThanOrEqual(1)
    })
    expect(locks).toBe(3) // crashes before lock-write, lock-fsync and rename leave the lock
  }, 300_000) // one child process per durable step: minutes on a loaded machine

  it('a ref delete leaves the tag present or absent', async () => {
    const { steps } = await dryRun('delete-tag', await freshCopy('delete-dry'))
    expect(steps).toEqual(['ref.lock-create', 'ref.unlink', 'ref.dir-fsync', 'ref.unlock'])
    await forEachStep(steps.length, async (k) => {
      const root = await freshCopy(`delete-${k}`)
      await crashAt('delete-tag', root, k)
      const storage = openLocalStorage(root)
      const tag = await storage.refs.get('tags/v1')
      expect(tag?.snapshot).toBe(k <= 2 ? oldMain : undefined)
      const lock = join(root, 'refs', 'tags', 'v1.lock')
      expect(await expectLockReported(storage, 'tags/v1', lock, k === 2)).toBe(k >= 2)
      const rerun = await runChild('crash-child.mjs', [storeIndex, 'delete-tag', root, dataFile])
      expect(rerun.code, rerun.stderr).toBe(0)
      expect(await storage.refs.get('tags/v1')).toBeUndefined()
    })
  })

  it('creating the config leaves it absent or complete', async () => {
    const empty = join(work, 'empty', '.dv')
    const { steps } = await dryRun('init', empty)
    expect(steps).toContain('config.link')
    const expected = '{"format":1,"repository":"crash-test"}'
    await forEachStep(steps.length, async (k) => {
      const root = join(work, `init-${k}`, '.dv')
      await crashAt('init', root, k)
      const storage = openLocalStorage(root)
      const config = await storage.readConfig()
      const linked = k > steps.indexOf('config.link') + 1
      expect(config === undefined ? undefined : new TextDecoder().decode(config)).toBe(linked ? expected : undefined)
      const rerun = await runChild('crash-child.mjs', [storeIndex, 'init', root, dataFile])
      expect(rerun.code === 0, rerun.stderr).toBe(!linked)
      expect(new TextDecoder().decode((await storage.readConfig())!)).toBe(expected)
    })
  })
})

