/**
 * The guarantees every Storage backend must give (src/store/types.ts), run
 * against each backend by storage.test.ts (and later by the S3 backend's tests).
 */
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join, sep } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DvError } from '../../src/errors.js'
import type { ObjectId, SnapshotId } from '../../src/ids.js'
import { getTestHooks } from '../../src/store/test-hooks.js'
import type { Storage } from '../../src/store/types.js'

const enc = new TextEncoder()

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function snap(label: string): SnapshotId {
  return sha256(enc.encode(label)) as SnapshotId
}

/** Runs `fn` and returns the DvError it throws (fails the test when it does not throw one). */
export async function catchDvError(fn: () => Promise<unknown>): Promise<DvError> {
  try {
    await fn()
  } catch (e) {
    if (e instanceof DvError) return e
    throw e
  }
  throw new Error('expected a DvError, nothing was thrown')
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

export function describeStorageConformance(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`storage conformance: ${name}`, () => {
    let storage: Storage
    let scratch: string

    beforeEach(async () => {
      storage = await makeStorage()
      scratch = await mkdtemp(join(tmpdir(), 'dv-conf-'))
    })
    afterEach(async () => {
      await storage.close()
      await rm(scratch, { recursive: true, force: true })
    })

    describe('objects', () => {
      it('put returns the sha256 of the bytes and get returns them', async () => {
        const bytes = enc.encode('hello, lakehouse')
        const id = await storage.objects.put(bytes)
        expect(id).toBe(sha256(bytes))
        expect(await storage.objects.get(id)).toEqual(bytes)
        expect(await storage.objects.has(id)).toBe(true)
        expect(await storage.objects.size(id)).toBe(bytes.length)
      })

      it('put is idempotent and stores empty objects', async () => {
        const bytes = enc.encode('same content')
        const a = await storage.objects.put(bytes)
        const b = await storage.objects.put(Uint8Array.from(bytes))
        expect(b).toBe(a)
        expect(await collect(storage.objects.list(a))).toEqual([a])
        const empty = await storage.objects.put(new Uint8Array())
        expect(empty).toBe(sha256(new Uint8Array()))
        expect(await storage.objects.get(empty)).toEqual(new Uint8Array())
      })

      it('stored bytes do not change when the caller mutates its buffers', async () => {
        const bytes = enc.encode('mutable buffer')
        const id = await storage.objects.put(bytes)
        bytes[0] = 0
        const read = await storage.objects.get(id)
        read[1] = 0
        expect(await storage.objects.get(id)).toEqual(enc.encode('mutable buffer'))
      })

      it('a missing object is NOT_FOUND on get and localPath, absent on has/size', async () => {
        const id = snap('never stored') as ObjectId
        expect((await catchDvError(() => storage.objects.get(id))).code).toBe('NOT_FOUND')
        expect((await catchDvError(() => storage.objects.localPath(id))).code).toBe('NOT_FOUND')
        expect(await storage.objects.has(id)).toBe(false)
        expect(await storage.objects.size(id)).toBeUndefined()
      })

      it('localRoot is an absolute directory holding every localPath (the data engine may read only there)', async () => {
        const id = await storage.objects.put(enc.encode('where do I live'))
        const root = await storage.objects.localRoot()
        expect(isAbsolute(root)).toBe(true)
        expect((await storage.objects.localPath(id)).startsWith(root + sep)).toBe(true)
        if (storage.objects.pathOf) expect(storage.objects.pathOf(id).startsWith(root + sep)).toBe(true)
      })

      it('an invalid id is INVALID_ARGUMENT', async () => {
        const err = await catchDvError(() => storage.objects.get('../config.json' as ObjectId))
        expect(err.code).toBe('INVALID_ARGUMENT')
      })

      it('a corrupted object is CORRUPT naming the id, and putting the same content repairs it', async () => {
        const hooks = getTestHooks(storage)
        expect(hooks, 'backend must implement the test hooks').toBeDefined()
        const bytes = enc.encode('precious metadata')
        const id = await storage.objects.put(bytes)
        await hooks!.corruptForTest(id)
        const err = await catchDvError(() => storage.objects.get(id))
        expect(err.code).toBe('CORRUPT')
        expect(err.message).toContain(id)
        expect(err.hint).toMatch(/fsck/)
        expect((await catchDvError(() => storage.objects.localPath(id))).code).toBe('CORRUPT')
        expect(await storage.objects.put(bytes)).toBe(id)
        expect(await storage.objects.get(id)).toEqual(bytes)
        expect(await readFile(await storage.objects.localPath(id))).toEqual(Buffer.from(bytes))
      })

      it('a torn object (a prefix under the real id) is CORRUPT', async () => {
        const bytes = enc.encode('a'.repeat(1000))
        const id = await storage.objects.put(bytes)
        await getTestHooks(storage)!.writeRawForTest(id, bytes.subarray(0, 500))
        expect((await catchDvError(() => storage.objects.get(id))).code).toBe('CORRUPT')
      })

      it('putFile streams a large file and returns its id and size', async () => {
        const big = Buffer.alloc(20 * 1024 * 1024 + 7)
        for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 251
        const path = join(scratch, 'big.bin')
        await writeFile(path, big)
        const result = await storage.objects.putFile(path)
        expect(result).toEqual({ id: sha256(big), bytes: big.length })
        expect(await storage.objects.size(result.id)).toBe(big.length)
        const local = await storage.objects.localPath(result.id)
        expect(sha256(await readFile(local))).toBe(result.id)
        expect(await storage.objects.putFile(path, result.id)).toEqual(result)
      })

      it('putFile with a wrong expectedId is CORRUPT and stores nothing', async () => {
        const path = join(scratch, 'small.bin')
        await writeFile(path, 'some parquet bytes')
        const wrong = snap('something else') as ObjectId
        const err = await catchDvError(() => storage.objects.putFile(path, wrong))
        expect(err.code).toBe('CORRUPT')
        expect(await storage.objects.has(sha256(enc.encode('some parquet bytes')) as ObjectId)).toBe(false)
        expect(await storage.objects.has(wrong)).toBe(false)
      })

      it('putFile of a missing file is NOT_FOUND naming the file', async () => {
        const path = join(scratch, 'missing.csv')
        const err = await catchDvError(() => storage.objects.putFile(path))
        expect(err.code).toBe('NOT_FOUND')
        expect(err.message).toContain(path)
      })

      it('list filters by prefix of any length', async () => {
        const ids: string[] = []
        for (let i = 0; i < 40; i++) ids.push(await storage.objects.put(enc.encode(`object ${i}`)))
        expect((await collect(storage.objects.list())).sort()).toEqual([...ids].sort())
        expect((await collect(storage.objects.list(''))).length).toBe(40)
        for (const prefix of [ids[0]!.slice(0, 1), ids[1]!.slice(0, 2), ids[2]!.slice(0, 3), ids[3]!]) {
          const expected = ids.filter((id) => id.startsWith(prefix)).sort()
          expect((await collect(storage.objects.list(prefix))).sort()).toEqual(expected)
        }
        expect((await catchDvError(() => collect(storage.objects.list('XY')))).code).toBe('INVALID_ARGUMENT')
      })

      it('localPath holds exactly the object bytes, and repeated calls agree', async () => {
        const bytes = enc.encode('duckdb reads files')
        const id = await storage.objects.put(bytes)
        const path = await storage.objects.localPath(id)
        expect(new Uint8Array(await readFile(path))).toEqual(bytes)
        expect(await storage.objects.localPath(id)).toBe(path)
      })

      it('delete removes an object and tolerates a missing one', async () => {
        const id = await storage.objects.put(enc.encode('garbage'))
        await storage.objects.delete(id)
        expect(await storage.objects.has(id)).toBe(false)
        await storage.objects.delete(id)
        expect((await catchDvError(() => storage.objects.get(id))).code).toBe('NOT_FOUND')
      })

      it('concurrent puts of the same content all succeed with one object', async () => {
        const bytes = enc.encode('raced content')
        const ids = await Promise.all(Array.from({ length: 8 }, () => storage.objects.put(bytes)))
        expect(new Set(ids).size).toBe(1)
        expect(await storage.objects.get(ids[0]!)).toEqual(bytes)
      })
    })

    describe('refs', () => {
      const a = snap('a')
      const b = snap('b')
      const c = snap('c')

      it('creates a ref with expected null and reads it back', async () => {
        expect(await storage.refs.get('branches/main')).toBeUndefined()
        const created = await storage.refs.compareAndSwap('branches/main', null, a)
        expect(created?.snapshot).toBe(a)
        expect(await storage.refs.get('branches/main')).toEqual(created)
      })

      it('swaps with the current version and rejects a stale one with CONFLICT details', async () => {
        const v1 = await storage.refs.compareAndSwap('branches/main', null, a)
        const v2 = await storage.refs.compareAndSwap('branches/main', v1!.version, b)
        expect(v2?.snapshot).toBe(b)
        const err = await catchDvError(() => storage.refs.compareAndSwap('branches/main', v1!.version, c))
        expect(err.code).toBe('CONFLICT')
        expect(err.retryable).toBe(true)
        expect(err.details).toMatchObject({ ref: 'branches/main', expected: v1!.version, actual: v2!.version })
        expect((await storage.refs.get('branches/main'))?.snapshot).toBe(b)
      })

      it('creating an existing ref is CONFLICT; updating a missing one is CONFLICT', async () => {
        await storage.refs.compareAndSwap('tags/v1', null, a)
        const again = await catchDvError(() => storage.refs.compareAndSwap('tags/v1', null, b))
        expect(again.code).toBe('CONFLICT')
        expect(again.details).toMatchObject({ ref: 'tags/v1', expected: null })
        const missing = await catchDvError(() => storage.refs.compareAndSwap('tags/v2', a, b))
        expect(missing.code).toBe('CONFLICT')
        expect(missing.details).toMatchObject({ ref: 'tags/v2', expected: a, actual: null })
      })

      it('deletes a ref with next = null', async () => {
        const v = await storage.refs.compareAndSwap('branches/feature/x', null, a)
        const stale = await catchDvError(() => storage.refs.compareAndSwap('branches/feature/x', snap('old'), null))
        expect(stale.code).toBe('CONFLICT')
        expect(await storage.refs.compareAndSwap('branches/feature/x', v!.version, null)).toBeUndefined()
        expect(await storage.refs.get('branches/feature/x')).toBeUndefined()
        expect(await storage.refs.compareAndSwap('branches/feature/x', null, b)).toMatchObject({ snapshot: b })
      })

      it('lists refs by prefix, sorted by name, including names with /', async () => {
        const names = ['branches/main', 'branches/feature/b', 'branches/feature/a', 'branches/dev', 'tags/v1.0', 'branches/Z']
        for (const n of names) await storage.refs.compareAndSwap(n, null, a)
        const branches = await storage.refs.list('branches/')
        expect(branches.map((r) => r.name)).toEqual(['branches/Z', 'branches/dev', 'branches/feature/a', 'branches/feature/b', 'branches/main'])
        expect(branches.every((r) => r.value.snapshot === a)).toBe(true)
        expect((await storage.refs.list('tags/')).map((r) => r.name)).toEqual(['tags/v1.0'])
        expect((await storage.refs.list('branches/feature/')).map((r) => r.name)).toEqual(['branches/feature/a', 'branches/feature/b'])
        expect((await storage.refs.list('branches/fea')).map((r) => r.name)).toEqual(['branches/feature/a', 'branches/feature/b'])
        expect((await storage.refs.list('')).length).toBe(names.length)
        expect(await storage.refs.list('nothing/')).toEqual([])
      })

      it('rejects ref names that could escape the ref namespace', async () => {
        for (const bad of ['../config.json', 'branches/../../x', 'branches//x', '/abs', 'branches/x.lock', 'branches/.hidden', '']) {
          expect((await catchDvError(() => storage.refs.compareAndSwap(bad, null, a))).code, bad).toBe('INVALID_ARGUMENT')
        }
        expect((await catchDvError(() => storage.refs.compareAndSwap('branches/x', null, 'nope' as SnapshotId))).code).toBe('INVALID_ARGUMENT')
      })

      it('of 16 concurrent swaps from the same version exactly one wins', async () => {
        const base = await storage.refs.compareAndSwap('branches/race', null, a)
        const results = await Promise.allSettled(
          Array.from({ length: 16 }, (_, i) => storage.refs.compareAndSwap('branches/race', base!.version, snap(`racer ${i}`))),
        )
        const winners = results.filter((r) => r.status === 'fulfilled')
        expect(winners).toHaveLength(1)
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as DvError).code).toBe('CONFLICT')
        }
        const final = await storage.refs.get('branches/race')
        expect(final).toEqual((winners[0] as PromiseFulfilledResult<unknown>).value)
      })
    })

    describe('reflog', () => {
      const at = Date.UTC(2026, 2, 1)
      const entry = (text: string) => enc.encode(`{"entry":${JSON.stringify(text)}}`)
      const texts = async (ref: string) => {
        const out: string[] = []
        for (const key of await storage.reflog.list(ref)) out.push(new TextDecoder().decode(await storage.reflog.read(ref, key)))
        return out
      }

      it('appends entries under fresh time-sortable keys and lists them oldest first', async () => {
        expect(await storage.reflog.list('branches/main')).toEqual([])
        const k2 = await storage.reflog.append('branches/main', at + 2000, entry('second'))
        const k1 = await storage.reflog.append('branches/main', at + 1000, entry('first'))
        const k3 = await storage.reflog.append('branches/main', at + 3000, entry('third'))
        for (const k of [k1, k2, k3]) expect(k).toMatch(/^\d{16}-[0-9a-f]{16}$/)
        expect(k1.startsWith(String(at + 1000).padStart(16, '0'))).toBe(true)
        expect(await storage.reflog.list('branches/main')).toEqual([k1, k2, k3])
        expect(await texts('branches/main')).toEqual(['first', 'second', 'third'].map((t) => `{"entry":"${t}"}`))
      })

      it('keeps two entries with the same time apart, and stores a copy of the bytes', async () => {
        const bytes = entry('same ms')
        const a = await storage.reflog.append('tags/v1', at, bytes)
        bytes[0] = 0
        const b = await storage.reflog.append('tags/v1', at, entry('same ms, again'))
        expect(a).not.toBe(b)
        expect((await storage.reflog.list('tags/v1')).sort()).toEqual([a, b].sort())
        expect(new TextDecoder().decode(await storage.reflog.read('tags/v1', a))).toBe('{"entry":"same ms"}')
      })

      it("one ref's log never includes another's, nested names and namespaces included", async () => {
        const refs = ['branches/a', 'branches/a/b', 'branches/ab', 'branches/a-b', 'tags/a', 'branches/a/b/c']
        for (const ref of refs) await storage.reflog.append(ref, at, entry(ref))
        for (const ref of refs) expect(await texts(ref), ref).toEqual([`{"entry":"${ref}"}`])
      })

      it('outlives the ref it logs', async () => {
        const v = await storage.refs.compareAndSwap('branches/gone', null, snap('x'))
        const key = await storage.reflog.append('branches/gone', at, entry('created'))
        await storage.refs.compareAndSwap('branches/gone', v!.version, null)
        expect(await storage.reflog.list('branches/gone')).toEqual([key])
        expect(await storage.refs.list('')).toEqual([])
      })

      it('rejects bad ref names and keys; a missing entry is NOT_FOUND', async () => {
        for (const bad of ['../config.json', 'branches/../x', 'branches//x', '', 'branches/x.lock']) {
          expect((await catchDvError(() => storage.reflog.append(bad, at, entry('x')))).code, bad).toBe('INVALID_ARGUMENT')
          expect((await catchDvError(() => storage.reflog.list(bad))).code, bad).toBe('INVALID_ARGUMENT')
        }
        expect((await catchDvError(() => storage.reflog.read('branches/main', '../../config'))).code).toBe('INVALID_ARGUMENT')
        expect((await catchDvError(() => storage.reflog.read('branches/main', `${'0'.repeat(16)}-${'0'.repeat(16)}`))).code).toBe('NOT_FOUND')
        expect((await catchDvError(() => storage.reflog.append('branches/main', -1, entry('x')))).code).toBe('INVALID_ARGUMENT')
      })

      it('32 concurrent appenders to one ref never lose an entry', async () => {
        const keys = await Promise.all(Array.from({ length: 32 }, (_, i) => storage.reflog.append('branches/race', at + (i % 3), entry(`racer ${i}`))))
        expect(new Set(keys).size).toBe(32)
        expect((await storage.reflog.list('branches/race')).sort()).toEqual([...keys].sort())
        expect((await texts('branches/race')).sort()).toEqual(Array.from({ length: 32 }, (_, i) => `{"entry":"racer ${i}"}`).sort())
      })
    })

    describe('garbage collection (format-spec/gc.md)', () => {
      // S3 records LastModified in whole seconds: waits exceed one second
      const tick = () => new Promise((r) => setTimeout(r, 1100))
      const timeOf = async (id: string) => (await collect(storage.objects.listTimed!())).find((o) => o.id === id)?.modifiedMs

      it('lists every object with its size and a time on the store clock', async () => {
        const id = await storage.objects.put(enc.encode('timed'))
        const before = await storage.objects.storeTime!()
        const listed = (await collect(storage.objects.listTimed!())).find((o) => o.id === id)
        expect(listed?.bytes).toBe(5)
        expect(listed!.modifiedMs).toBeLessThanOrEqual(before)
      })

      it('a put of an object already stored refreshes its time, so a sweep with an earlier cutoff keeps it', async () => {
        const bytes = enc.encode('re-added content')
        const id = await storage.objects.put(bytes)
        const first = await timeOf(id)
        await tick()
        const cutoff = await storage.objects.storeTime!()
        expect(first!).toBeLessThan(cutoff)
        await storage.objects.put(bytes) // the writer found it present: it relies on it from now on
        expect(await timeOf(id)).toBeGreaterThanOrEqual(cutoff)
        expect(await storage.objects.sweep!([id], cutoff)).toEqual([])
        expect(await storage.objects.get(id)).toEqual(bytes)
      })

      it('a putFile of an object already stored refreshes it too', async () => {
        const path = join(scratch, 'data.bin')
        await writeFile(path, enc.encode('file content'))
        const { id } = await storage.objects.putFile(path)
        await tick()
        const cutoff = await storage.objects.storeTime!()
        await storage.objects.putFile(path)
        expect(await storage.objects.sweep!([id], cutoff)).toEqual([])
        expect(await storage.objects.has(id)).toBe(true)
      })

      it('sweep deletes only objects older than the cutoff, and skips missing ones', async () => {
        const old = await storage.objects.put(enc.encode('old'))
        await tick()
        const cutoff = await storage.objects.storeTime!()
        const young = await storage.objects.put(enc.encode('young'))
        const missing = sha256(enc.encode('never stored')) as ObjectId
        expect(await storage.objects.sweep!([old, young, missing], cutoff)).toEqual([old])
        expect(await storage.objects.has(old)).toBe(false)
        expect(await storage.objects.has(young)).toBe(true)
        // a swept object can be stored again
        await storage.objects.put(enc.encode('old'))
        expect(await storage.objects.has(old)).toBe(true)
      })

      it('lists every ref with a log, deleted refs included', async () => {
        const v = await storage.refs.compareAndSwap('branches/gone', null, snap('x'))
        await storage.reflog.append('branches/gone', 1, enc.encode('{}'))
        await storage.reflog.append('branches/a/b', 1, enc.encode('{}'))
        await storage.reflog.append('tags/v1', 1, enc.encode('{}'))
        await storage.refs.compareAndSwap('branches/gone', v!.version, null)
        expect(await storage.reflog.listRefs!()).toEqual(['branches/a/b', 'branches/gone', 'tags/v1'])
      })
    })

    describe('config', () => {
      it('is absent, then created once; a second create is CONFLICT', async () => {
        expect(await storage.readConfig()).toBeUndefined()
        const bytes = enc.encode('{"format":1}')
        await storage.createConfig(bytes)
        expect(await storage.readConfig()).toEqual(bytes)
        const err = await catchDvError(() => storage.createConfig(enc.encode('{"format":2}')))
        expect(err.code).toBe('CONFLICT')
        expect(err.message).toMatch(/already exists/)
        expect(await storage.readConfig()).toEqual(bytes)
      })
    })
  })
}
