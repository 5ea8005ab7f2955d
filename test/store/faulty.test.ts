import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { wrapCounting } from '../../src/store/counting.js'
import { wrapFaulty } from '../../src/store/faulty.js'
import { openLocalStorage } from '../../src/store/local.js'
import { createMemoryStorage } from '../../src/store/memory.js'
import { catchDvError } from '../conformance/storage-conformance.js'

const enc = new TextEncoder()
const snap = (label: string) => createHash('sha256').update(label).digest('hex') as SnapshotId

describe('wrapFaulty', () => {
  it('fails the chosen compareAndSwap with CONFLICT without applying it', async () => {
    const store = wrapFaulty(createMemoryStorage(), { conflictOnCas: [2] })
    await store.refs.compareAndSwap('branches/main', null, snap('a'))
    const err = await catchDvError(() => store.refs.compareAndSwap('branches/main', snap('a'), snap('b')))
    expect(err.code).toBe('CONFLICT')
    expect(err.retryable).toBe(true)
    expect((await store.refs.get('branches/main'))?.snapshot).toBe(snap('a'))
    expect(await store.refs.compareAndSwap('branches/main', snap('a'), snap('b'))).toMatchObject({ snapshot: snap('b') })
    expect(store.injected).toEqual(['cas#2 conflict branches/main'])
  })

  it('applies a lost-response compareAndSwap and then throws OUTCOME_UNKNOWN', async () => {
    const store = wrapFaulty(createMemoryStorage(), { lostResponseOnCas: [1] })
    const err = await catchDvError(() => store.refs.compareAndSwap('branches/main', null, snap('a')))
    expect(err.code).toBe('OUTCOME_UNKNOWN')
    expect((await store.refs.get('branches/main'))?.snapshot).toBe(snap('a'))
  })

  it('fails the chosen CAS and put with STORAGE, storing nothing', async () => {
    const store = wrapFaulty(createMemoryStorage(), { failCas: [1], failPut: [1] })
    expect((await catchDvError(() => store.refs.compareAndSwap('branches/main', null, snap('a')))).code).toBe('STORAGE')
    expect(await store.refs.get('branches/main')).toBeUndefined()
    const bytes = enc.encode('first put fails')
    expect((await catchDvError(() => store.objects.put(bytes))).code).toBe('STORAGE')
    const id = createHash('sha256').update(bytes).digest('hex')
    expect(await store.objects.has(id as SnapshotId)).toBe(false)
    expect(await store.objects.put(bytes)).toBe(id)
  })

  it('tears a put on a local disk: the put succeeds, a later get is CORRUPT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dv-faulty-'))
    try {
      const store = wrapFaulty(openLocalStorage(join(dir, '.dv')), { tornPut: [2] })
      const ok = await store.objects.put(enc.encode('fine'))
      const file = join(dir, 'data.bin')
      await writeFile(file, 'z'.repeat(10_000))
      const torn = await store.objects.putFile(file)
      expect(await store.objects.get(ok)).toEqual(enc.encode('fine'))
      expect(await store.objects.size(torn.id)).toBe(5_000)
      const err = await catchDvError(() => store.objects.get(torn.id))
      expect(err.code).toBe('CORRUPT')
      expect(err.message).toContain(torn.id)
      await store.objects.putFile(file)
      expect((await store.objects.get(torn.id)).length).toBe(10_000)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('fails the chosen get with STORAGE and adds latency', async () => {
    const store = wrapFaulty(createMemoryStorage(), { failGet: [1], latencyMs: 20 })
    const id = await store.objects.put(enc.encode('slow'))
    const started = Date.now()
    expect((await catchDvError(() => store.objects.get(id))).code).toBe('STORAGE')
    expect(new TextDecoder().decode(await store.objects.get(id))).toBe('slow')
    expect(Date.now() - started).toBeGreaterThanOrEqual(35)
  })
})

describe('wrapCounting', () => {
  it('counts every call by kind and resets', async () => {
    const store = wrapCounting(createMemoryStorage())
    const id = await store.objects.put(enc.encode('counted'))
    await store.objects.get(id)
    await store.objects.get(id)
    await store.objects.has(id)
    for await (const _ of store.objects.list()) void _
    await store.refs.compareAndSwap('branches/main', null, snap('a'))
    await store.refs.get('branches/main')
    await store.refs.list('branches/')
    expect(store.counts).toMatchObject({ put: 1, get: 2, has: 1, list: 1, cas: 1, refGet: 1, refList: 1, putFile: 0 })
    store.resetCounts()
    expect(Object.values(store.counts).every((n) => n === 0)).toBe(true)
  })

  it('forwards the test hooks through nested wrappers', async () => {
    const store = wrapCounting(wrapFaulty(createMemoryStorage(), {}))
    const id = await store.objects.put(enc.encode('hooked'))
    await store.corruptForTest(id)
    expect((await catchDvError(() => store.objects.get(id))).code).toBe('CORRUPT')
  })
})
