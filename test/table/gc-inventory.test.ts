/**
 * gc without listing the store (format-spec/gc.md#inventory-and-generation-log):
 * a first run lists and writes the inventory; later runs learn what is stored
 * from it and the generation log, look up only what is not live, and find
 * the garbage written since. What the log misses is kept (a leak), never
 * deleted, and `listAll` finds it.
 */
import { appendFile, readFile, readdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import type { ObjectId } from '../../src/ids.js'
import { createMemoryStorage, type MemoryStorage } from '../../src/store/memory.js'
import { openLocalStorage } from '../../src/store/local.js'
import type { ObjectStore, Storage } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { useTempDir } from '../support/temp-dir.js'

const HOUR = 3600_000
const enc = new TextEncoder()
const tmp = useTempDir('dv-gc-inventory-')
const { csv } = tmp

/** The store with listing forbidden: a run that lists fails the test. */
function noListing(storage: Storage): Storage {
  const objects: ObjectStore = Object.create(storage.objects)
  Object.defineProperty(objects, 'listTimed', { value: () => { throw new Error('gc listed the store') } })
  return { ...storage, objects, close: () => storage.close() }
}

async function allIds(storage: Storage): Promise<string[]> {
  const ids: string[] = []
  for await (const id of storage.objects.list('')) ids.push(id)
  return ids.sort()
}

async function memoryRepo(): Promise<{ storage: MemoryStorage; clock: { now: number }; repo: Repository }> {
  const clock = { now: Date.parse('2026-03-01T00:00:00Z') }
  const storage = createMemoryStorage({ now: () => clock.now })
  const repo = await Repository.fromStorage(storage, { init: true, author: 'ann' })
  await repo.write('t', await csv('1,a\n2,b\n'), { commit: true, message: 'one' })
  return { storage, clock, repo }
}

describe('gc on the inventory and generation log (memory store, injected clock)', () => {
  it('lists once, then finds garbage written since from the log alone, keeping what is young', async () => {
    const { storage, clock, repo } = await memoryRepo()
    const first = await repo.gc()
    expect(first.inventory).toEqual({ source: 'listing', segments: 1, logged: 0 })

    await repo.write('t', await csv('3,c\n'), { commit: true, message: 'two', mode: 'overwrite' })
    const junk = await storage.objects.put(enc.encode('abandoned after the first gc'))
    clock.now += 48 * HOUR
    const fresh = await storage.objects.put(enc.encode('abandoned just now'))
    const before = await allIds(storage)

    const later = await Repository.fromStorage(noListing(storage), { author: 'ann' })
    const dry = await later.gc({ dryRun: true })
    expect(dry.inventory.source).toBe('inventory')
    const real = await later.gc()
    expect(real.inventory.source).toBe('inventory')
    expect(real.inventory.logged).toBeGreaterThan(4)
    expect(real.deleted).toEqual(dry.deleted)
    // the overwritten table's data file is reachable through main's history, so only the junk goes
    expect(real.deleted.map((d) => d.id)).toEqual([junk])
    expect(real.young.objects).toBe(1)
    expect(await allIds(storage)).toEqual(before.filter((id) => id !== junk))
    expect(await storage.objects.has(fresh)).toBe(true)
    expect(real.stored.objects).toBe(before.length)

    // the next run knows exactly what is left, and deletes the rest once it is old
    clock.now += 48 * HOUR
    const third = await later.gc()
    expect(third.inventory).toMatchObject({ source: 'inventory', logged: 0 })
    expect(third.deleted.map((d) => d.id)).toEqual([fresh])
    expect(third.stored.objects).toBe(before.length - 1)
    expect((await later.verify()).problems).toEqual([])
  })

  it('an object the log lost is kept (a leak, never a loss) until listAll finds it', async () => {
    const { storage, clock, repo } = await memoryRepo()
    await repo.gc()
    const lost = await storage.objects.put(enc.encode('its log line was lost'))
    // the line vanishes, as when a writer dies before its segment is sent
    const inventory = storage.objects.inventory!
    await inventory.dropSegments(await inventory.seal(false))
    clock.now += 48 * HOUR
    const kept = await repo.gc()
    expect(kept.deleted).toEqual([])
    expect(await storage.objects.has(lost)).toBe(true)
    const listed = await repo.gc({ listAll: true })
    expect(listed.inventory.source).toBe('listing')
    expect(listed.deleted.map((d) => d.id)).toEqual([lost])
  })

  it('forgets an object that is gone from the store, and counts only what is there', async () => {
    const { storage, clock, repo } = await memoryRepo()
    const junk = await storage.objects.put(enc.encode('removed by someone else'))
    await repo.gc()
    await storage.objects.delete(junk)
    clock.now += 48 * HOUR
    const result = await repo.gc()
    expect(result.deleted).toEqual([])
    expect(result.stored.objects).toBe((await allIds(storage)).length)
  })
})

describe('gc on the inventory and generation log (local store)', () => {
  async function localRepo(): Promise<{ root: string; repo: Repository; storage: Storage }> {
    const root = join(tmp.path, `repo-${tmp.next()}`, '.dv')
    const storage = openLocalStorage(root)
    const repo = await Repository.fromStorage(storage, { init: true, author: 'ann' })
    await repo.write('t', await csv('1,a\n2,b\n'), { commit: true, message: 'one' })
    return { root, repo, storage }
  }

  /** Makes an object look two days old on the store's clock. */
  async function age(root: string, id: ObjectId): Promise<void> {
    const old = new Date(Date.now() - 48 * HOUR)
    await utimes(join(root, 'objects', id.slice(0, 2), id), old, old)
  }

  it('writers append a line per object to their own log file; gc seals, reads and drops it, and writes the inventory', async () => {
    const { root, repo, storage } = await localRepo()
    const junk = await storage.objects.put(enc.encode('abandoned'))
    const logs = await readdir(join(root, 'gc', 'log'))
    expect(logs).toHaveLength(1)
    expect(await readFile(join(root, 'gc', 'log', logs[0]), 'utf8')).toContain(`${junk} 9\n`)

    const first = await repo.gc()
    expect(first.inventory.source).toBe('listing')
    expect(await readdir(join(root, 'gc', 'sealed'))).toEqual([])
    const inventory = await readFile(join(root, 'gc', 'inventory'), 'utf8')
    expect(inventory.split('\n')[0]).toBe('dv-inventory 1')
    expect(inventory).toContain(`${junk} 9\n`)

    const later = await storage.objects.put(enc.encode('abandoned later'))
    // a line torn by a crash is skipped
    await appendFile(join(root, 'gc', 'log', (await readdir(join(root, 'gc', 'log')))[0]), `${'ab'.repeat(20)}`)
    await age(root, junk)
    await age(root, later)
    const second = await Repository.fromStorage(noListing(storage), { author: 'ann' }).then((r) => r.gc({ graceMs: HOUR }))
    expect(second.inventory).toEqual({ source: 'inventory', segments: 1, logged: 1 })
    expect(second.deleted.map((d) => d.id).sort()).toEqual([junk, later].sort())
    expect(await storage.objects.has(junk)).toBe(false)
    expect(await readdir(join(root, 'gc', 'sealed'))).toEqual([])
    expect(await readFile(join(root, 'gc', 'inventory'), 'utf8')).not.toContain(junk)
    expect((await repo.verify()).problems).toEqual([])
  })

  it('writers append to one log file whose lines never interleave', async () => {
    const root = join(tmp.path, `repo-${tmp.next()}`, '.dv')
    const writers = [openLocalStorage(root), openLocalStorage(root), openLocalStorage(root)]
    const ids = (await Promise.all(writers.map((w, k) => Promise.all(Array.from({ length: 150 }, (_, i) => w.objects.put(enc.encode(`writer ${k} object ${i} ${'x'.repeat(i)}`))))))).flat()
    expect(await readdir(join(root, 'gc', 'log'))).toEqual(['objects'])
    const lines = (await readFile(join(root, 'gc', 'log', 'objects'), 'utf8')).split('\n').filter(Boolean)
    expect(lines).toHaveLength(450)
    for (const line of lines) expect(line).toMatch(/^[0-9a-f]{64} \d+$/)
    expect(new Set(lines.map((l) => l.slice(0, 64)))).toEqual(new Set(ids))
  })

  it('a damaged inventory fails gc as CORRUPT, deleting nothing and naming --list-all, which then rebuilds it', async () => {
    const { root, repo, storage } = await localRepo()
    const junk = await storage.objects.put(enc.encode('abandoned'))
    await repo.gc()
    await writeFile(join(root, 'gc', 'inventory'), 'dv-inventory 1\nnot a line\n')
    await age(root, junk)
    const e = await catchDvError(() => repo.gc({ graceMs: HOUR }))
    expect(e.code).toBe('CORRUPT')
    expect(e.message).toContain('line 2')
    expect(e.hint).toContain('--list-all')
    expect(await storage.objects.has(junk)).toBe(true)
    const rebuilt = await repo.gc({ graceMs: HOUR, listAll: true })
    expect(rebuilt.deleted.map((d) => d.id)).toEqual([junk])
    expect((await repo.gc({ graceMs: HOUR })).inventory.source).toBe('inventory')
  })
})
