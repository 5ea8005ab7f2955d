/**
 * One change of the repository settings (format-spec/settings.md#the-settings-ref)
 * on the memory store: the edit sees the current content, the new version
 * names its parent, a time after it, the author and the command, maps are
 * stored by name, a change that changes nothing writes nothing, and a lost
 * race is retried on top of the other writer's version (at most 10 times);
 * other failures are not retried. Also the reader of a ref's object
 * (ref-object.ts), which parses each object once.
 */
import { describe, expect, it } from 'vitest'
import { DvError } from '../../src/index.js'
import type { ObjectId, SnapshotId } from '../../src/ids.js'
import { parseSettings, SETTINGS_REF } from '../../src/format/index.js'
import { refObjectReader } from '../../src/refs/ref-object.js'
import { readReflog, type ReflogContext } from '../../src/refs/reflog.js'
import { changeSettings, type SettingsContent } from '../../src/refs/settings-change.js'
import { createMemoryStorage, wrapFaulty } from '../../src/store/index.js'
import type { Storage } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'

const T0 = Date.UTC(2026, 6, 1)

function context(storage: Storage, now: () => number = () => T0, author = 'ann'): ReflogContext {
  return { storage, now, author }
}

async function current(storage: Storage) {
  const ref = await storage.refs.get(SETTINGS_REF)
  return { id: ref!.snapshot as string, settings: parseSettings(await storage.objects.get(ref!.snapshot as string as ObjectId)) }
}

/** An edit that protects `branch` with no rules. */
const protect = (branch: string) => (c: SettingsContent) => ({
  next: { ...c, protectedBranches: { ...c.protectedBranches, [branch]: { requireChecks: false, requireMerge: false } } },
  result: { branch },
})

describe('changeSettings', () => {
  it('stores the first version without a parent, at the clock, by the author, with the command and the maps by name', async () => {
    const storage = createMemoryStorage()
    const seen: SettingsContent[] = []
    const r = await changeSettings(context(storage), 'first', (c) => {
      seen.push(structuredClone(c))
      return {
        next: {
          protectedBranches: { zz: { requireChecks: true, requireMerge: false }, aa: { requireChecks: false, requireMerge: true }, mm: { requireChecks: false, requireMerge: false } },
          retention: { default: { keepDays: 2, keepLast: null }, branches: { zz: { keepDays: null, keepLast: 1 }, aa: { keepDays: 3, keepLast: 4 }, mm: { keepDays: 5, keepLast: null } } },
        },
        result: { answer: 42 },
      }
    })
    expect(seen).toEqual([{ protectedBranches: {} }])
    expect('retention' in seen[0]!).toBe(false)
    const { id, settings } = await current(storage)
    expect(r).toEqual({ answer: 42, settings: id })
    expect(settings).toMatchObject({ parent: null, timeMs: T0, author: 'ann', message: 'first' })
    expect(Object.keys(settings.protectedBranches)).toEqual(['aa', 'mm', 'zz'])
    expect(Object.keys(settings.retention!.branches)).toEqual(['aa', 'mm', 'zz'])
    expect(settings.retention).toEqual({ default: { keepDays: 2, keepLast: null }, branches: { aa: { keepDays: 3, keepLast: 4 }, mm: { keepDays: 5, keepLast: null }, zz: { keepDays: null, keepLast: 1 } } })
    expect(settings.protectedBranches).toEqual({ aa: { requireChecks: false, requireMerge: true }, mm: { requireChecks: false, requireMerge: false }, zz: { requireChecks: true, requireMerge: false } })
    const log = await readReflog(storage, SETTINGS_REF)
    expect(log.items.map((i) => [i.value, i.entry?.old, i.entry?.message, i.entry?.user])).toEqual([[id, null, 'first', 'ann']])
  })

  it('gives the edit the current content, and stores the next version after its parent: at the clock, or 1 ms after a parent from the future', async () => {
    const storage = createMemoryStorage()
    await changeSettings(context(storage, () => T0 + 5000), 'one', protect('b'))
    const first = await current(storage)
    await changeSettings(context(storage, () => T0 + 5000), 'retention', (c) => ({ next: { ...c, retention: { default: null, branches: { b: { keepDays: 1, keepLast: null } } } }, result: {} }))
    const second = await current(storage)
    expect(second.settings).toMatchObject({ parent: first.id, timeMs: T0 + 5001, message: 'retention', protectedBranches: { b: { requireChecks: false, requireMerge: false } } })
    const seen: SettingsContent[] = []
    await changeSettings(context(storage, () => T0 + 9000, 'bob'), 'two', (c) => {
      seen.push(structuredClone(c))
      return protect('a')(c)
    })
    const third = await current(storage)
    expect(seen).toEqual([{ protectedBranches: { b: { requireChecks: false, requireMerge: false } }, retention: { default: null, branches: { b: { keepDays: 1, keepLast: null } } } }])
    expect(third.settings).toMatchObject({
      parent: second.id, timeMs: T0 + 9000, author: 'bob', message: 'two',
      protectedBranches: { a: { requireChecks: false, requireMerge: false }, b: { requireChecks: false, requireMerge: false } },
      retention: { default: null, branches: { b: { keepDays: 1, keepLast: null } } },
    })
    await changeSettings(context(storage, () => 7), 'clock behind', protect('c'))
    expect((await current(storage)).settings).toMatchObject({ parent: third.id, timeMs: T0 + 9001 })
  })

  it('writes nothing when the edit changes nothing, and nothing when the edit refuses', async () => {
    const storage = createMemoryStorage()
    expect(await changeSettings(context(storage), 'noop', () => ({ result: { kept: true } }))).toEqual({ kept: true, settings: null })
    expect(await storage.refs.get(SETTINGS_REF)).toBeUndefined()
    await changeSettings(context(storage), 'one', protect('a'))
    const before = await current(storage)
    expect(await changeSettings(context(storage), 'noop', () => ({ result: {} }))).toEqual({ settings: null })
    const e = await catchDvError(() => changeSettings(context(storage), 'refused', () => { throw new DvError('NOT_FOUND', 'no such thing') }))
    expect([e.code, e.message]).toEqual(['NOT_FOUND', 'no such thing'])
    expect(await current(storage)).toEqual(before)
    expect((await readReflog(storage, SETTINGS_REF)).stored).toBe(1)
  })

  it('re-applies the edit on top of a change that landed meanwhile', async () => {
    const storage = createMemoryStorage()
    await changeSettings(context(storage), 'base', protect('base'))
    let raced = 0
    const racing: Storage = {
      ...storage,
      refs: {
        ...storage.refs,
        compareAndSwap: async (name, expected, next) => {
          if (name === SETTINGS_REF && raced++ === 0) await changeSettings(context(storage, () => T0 + 100, 'bob'), 'other', protect('other'))
          return storage.refs.compareAndSwap(name, expected, next)
        },
      },
    }
    let edits = 0
    const r = await changeSettings(context(racing, () => T0 + 50), 'mine', (c) => {
      edits++
      return protect('mine')(c)
    })
    expect(edits).toBe(2)
    const { id, settings } = await current(storage)
    expect(r).toEqual({ branch: 'mine', settings: id })
    expect(Object.keys(settings.protectedBranches)).toEqual(['base', 'mine', 'other'])
    expect(settings).toMatchObject({ message: 'mine', timeMs: T0 + 101 })
    const log = await readReflog(storage, SETTINGS_REF)
    expect(log.items.map((i) => i.entry?.message)).toEqual(['mine', 'other', 'base'])
    expect(log.stored).toBe(4) // the lost attempt's entry stays off the chain
  })

  it('gives up after 10 lost races with the last CONFLICT, and does not retry a CONFLICT that retrying cannot settle or another failure', async () => {
    const storage = createMemoryStorage()
    await changeSettings(context(storage), 'base', protect('base'))
    let cas = 0
    const alwaysLosing: Storage = {
      ...storage,
      refs: {
        ...storage.refs,
        compareAndSwap: async (name, expected, next) => {
          cas++
          await changeSettings(context(storage), `other ${cas}`, protect(`o${cas}`))
          return storage.refs.compareAndSwap(name, expected, next)
        },
      },
    }
    const e = await catchDvError(() => changeSettings(context(alwaysLosing), 'mine', protect('mine')))
    expect([e.code, e.retryable]).toEqual(['CONFLICT', true])
    expect(cas).toBe(10)
    expect(Object.keys((await current(storage)).settings.protectedBranches)).not.toContain('mine')

    let attempts = 0
    const locked: Storage = {
      ...storage,
      refs: {
        ...storage.refs,
        compareAndSwap: async () => {
          attempts++
          throw new DvError('CONFLICT', 'ref settings is locked', { retryable: false })
        },
      },
    }
    const held = await catchDvError(() => changeSettings(context(locked), 'mine', protect('mine')))
    expect([held.code, held.retryable, held.message, attempts]).toEqual(['CONFLICT', false, 'ref settings is locked', 1])

    const failing = wrapFaulty(storage, { failCas: [1, 2] })
    const broken = await catchDvError(() => changeSettings(context(failing), 'mine', protect('mine')))
    expect([broken.code, failing.injected]).toEqual(['STORAGE', ['cas#1 fail']])
  })

  it('retries a retryable CONFLICT of the store itself', async () => {
    const storage = createMemoryStorage()
    const faulty = wrapFaulty(storage, { conflictOnCas: [1, 2, 3] })
    const r = await changeSettings(context(faulty), 'mine', protect('mine'))
    expect(faulty.injected).toHaveLength(3)
    expect(r.settings).toBe((await storage.refs.get(SETTINGS_REF))!.snapshot)
  })
})

describe('refObjectReader', () => {
  it('reads the object the ref names, parsing each object once, and null without the ref', async () => {
    const storage = createMemoryStorage()
    const parsed: string[] = []
    const read = refObjectReader('things', 'thing', (bytes, what) => {
      parsed.push(what)
      return { text: new TextDecoder().decode(bytes) }
    })
    expect(await read(storage)).toEqual({ ref: null, value: null })
    const a = await storage.objects.put(new TextEncoder().encode('alpha'))
    await storage.refs.compareAndSwap('things', null, a as string as SnapshotId)
    const first = await read(storage)
    expect(first).toEqual({ ref: await storage.refs.get('things'), value: { text: 'alpha' } })
    const again = await read(storage)
    expect(again.value).toBe(first.value) // the same parsed object
    expect(parsed).toEqual([`thing ${a}`])
    const b = await storage.objects.put(new TextEncoder().encode('beta'))
    await storage.refs.compareAndSwap('things', first.ref!.version, b as string as SnapshotId)
    expect((await read(storage)).value).toEqual({ text: 'beta' })
    expect(parsed).toEqual([`thing ${a}`, `thing ${b}`])
  })
})
