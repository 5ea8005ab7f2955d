/**
 * Edges of the local store that the layer-by-layer suites leave open:
 * listings whose order readdir does not give, names the file system refuses,
 * files in the place of directories, and the details of a held lock.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ObjectId, SnapshotId } from '../../src/ids.js'
import { type LocalStorage } from '../../src/store/local.js'
import type { TimedObject } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { freshLocalStore } from './local-fixture.js'

const enc = new TextEncoder()
const sha = (text: string) => createHash('sha256').update(text).digest('hex') as ObjectId
const snap = (label: string) => sha(label) as string as SnapshotId
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

let root: string
let storage: LocalStorage

freshLocalStore('dv-local-edges-', (store) => ({ root, storage } = store))

const objectPath = (id: string) => join(root, 'objects', id.slice(0, 2), id)
/** 40 distinct labels in an order that is neither sorted nor reverse-sorted. */
const labels = Array.from({ length: 40 }, (_, i) => `n${String((i * 17) % 40).padStart(2, '0')}`)

describe('listings come sorted, whatever order readdir gives', () => {
  it('refs by name', async () => {
    for (const l of labels) await storage.refs.compareAndSwap(`branches/${l}`, null, snap(l))
    expect((await storage.refs.list('branches/')).map((r) => r.name)).toEqual(labels.map((l) => `branches/${l}`).sort(byName))
  })

  it('reflog refs by name, and one ref\'s keys by time', async () => {
    for (const l of labels) await storage.reflog.append(`tags/${l}`, 1, enc.encode('{}'))
    expect(await storage.reflog.listRefs()).toEqual(labels.map((l) => `tags/${l}`).sort(byName))
    const keys = []
    for (const [i] of labels.entries()) keys.push(await storage.reflog.append('branches/main', 1_000 + ((i * 17) % 40), enc.encode(`${i}`)))
    expect(await storage.reflog.list('branches/main')).toEqual([...keys].sort(byName))
  })

  it('sealed log segments by name', async () => {
    await mkdir(join(root, 'gc', 'sealed'), { recursive: true })
    for (const l of labels) await writeFile(join(root, 'gc', 'sealed', `objects.${l}`), '')
    expect(await storage.objects.inventory.seal(true)).toEqual(labels.map((l) => `sealed/objects.${l}`).sort(byName))
  })

  it('object times directory by directory', async () => {
    const ids = await Promise.all(Array.from({ length: 120 }, (_, i) => storage.objects.put(enc.encode(`timed ${i}`))))
    const listed: TimedObject[] = []
    for await (const t of storage.objects.listTimed()) listed.push(t)
    const dirs = listed.map((t) => t.id.slice(0, 2))
    expect(dirs).toEqual([...dirs].sort(byName))
    expect(listed.map((t) => t.id).sort(byName)).toEqual([...ids].sort(byName))
  })

  it('the first ref nested below a name being created', async () => {
    for (const l of labels) await storage.refs.compareAndSwap(`branches/a/${l}`, null, snap(l))
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/a', null, snap('a')))
    expect(err.message).toBe(`ref 'branches/a' conflicts with existing ref 'branches/a/${[...labels].sort(byName)[0]}'`)
  })
})

describe('name order is dv\'s, not a depth-first walk of the directories', () => {
  it('a ref listing puts branches/a-b before branches/a/c', async () => {
    await storage.refs.compareAndSwap('branches/a/c', null, snap('ac'))
    await storage.refs.compareAndSwap('branches/a-b', null, snap('ab'))
    expect((await storage.refs.list('')).map((r) => r.name)).toEqual(['branches/a-b', 'branches/a/c'])
  })

  it('the nested ref named by a refused create is the first by name', async () => {
    await storage.refs.compareAndSwap('branches/x/b/c', null, snap('c'))
    await storage.refs.compareAndSwap('branches/x/b-x', null, snap('bx'))
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/x', null, snap('x')))
    expect(err.message).toBe("ref 'branches/x' conflicts with existing ref 'branches/x/b-x'")
  })

  it('reflog refs are sorted by ref name, not by folder name', async () => {
    await storage.reflog.append('branches/a/c', 1, enc.encode('{}'))
    await storage.reflog.append('branches/a-b', 1, enc.encode('{}'))
    expect(await storage.reflog.listRefs()).toEqual(['branches/a-b', 'branches/a/c'])
  })
})

/** Replaces `path` by a symlink to itself: every open or listing of it fails with ELOOP. */
async function loop(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true })
  await mkdir(dirname(path), { recursive: true })
  await symlink(basename(path), path)
}

describe('a directory or file the system cannot open (a symlink loop) is STORAGE naming it, never "absent"', () => {
  it('a ref file', async () => {
    const path = join(root, 'refs', 'branches', 'main')
    await loop(path)
    const err = await catchDvError(() => storage.refs.get('branches/main'))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot read ref ${path}: ELOOP`)
  })

  it('the refs directory of a listing', async () => {
    await loop(join(root, 'refs', 'branches'))
    const err = await catchDvError(() => storage.refs.list('branches/'))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot list refs ${join(root, 'refs', 'branches')}: ELOOP`)
  })

  it('a reflog folder', async () => {
    const folder = join(root, 'reflog', 'branches%2Fmain')
    await loop(folder)
    const err = await catchDvError(() => storage.reflog.list('branches/main'))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot list ${folder}: ELOOP`)
  })

  it('objects/ for list and listTimed', async () => {
    await loop(join(root, 'objects'))
    const listErr = await catchDvError(async () => {
      for await (const id of storage.objects.list()) void id
    })
    expect(listErr.code).toBe('STORAGE')
    expect(listErr.message).toBe(`cannot list ${join(root, 'objects')}: ELOOP`)
    const timedErr = await catchDvError(async () => {
      for await (const t of storage.objects.listTimed()) void t
    })
    expect(timedErr.code).toBe('STORAGE')
    expect(timedErr.message).toBe(`cannot list ${join(root, 'objects')}: ELOOP`)
  })

  it('the gc log directory when sealing', async () => {
    await loop(join(root, 'gc', 'log'))
    const err = await catchDvError(() => storage.objects.inventory.seal())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot list ${join(root, 'gc', 'log')}: ELOOP`)
  })

  it('the trash when recovering a sweep', async () => {
    await loop(join(root, 'gc-trash'))
    const err = await catchDvError(() => storage.objects.recoverSweep())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot list ${join(root, 'gc-trash')}: ELOOP`)
  })
})

describe('names and places the file system refuses', () => {
  it('a ref name valid for dv whose lock name is too long for the file system is STORAGE naming the lock, at once', async () => {
    const name = `b/${'a'.repeat(251)}`
    const lock = join(root, 'refs', 'b', `${'a'.repeat(251)}.lock`)
    const started = Date.now()
    const err = await catchDvError(() => storage.refs.compareAndSwap(name, null, snap('x')))
    expect(Date.now() - started).toBeLessThan(900) // not waited for as a held lock
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot create lock ${lock}: ENAMETOOLONG`)
    expect(await storage.refs.get(name)).toBeUndefined()
  })

  it('a held lock is CONFLICT whose details name the ref and the lock', async () => {
    await mkdir(join(root, 'refs', 'tags'), { recursive: true })
    const lock = join(root, 'refs', 'tags', 'v1.lock')
    await writeFile(lock, '')
    const err = await catchDvError(() => storage.refs.compareAndSwap('tags/v1', null, snap('v1')))
    expect(err.code).toBe('CONFLICT')
    expect(err.message).toBe(`ref 'tags/v1' is locked: ${lock} exists`)
    expect(err.details).toEqual({ ref: 'tags/v1', lock })
  })

  it('a ref below a ref file reads as absent', async () => {
    await storage.refs.compareAndSwap('branches/main', null, snap('m'))
    expect(await storage.refs.get('branches/main/x')).toBeUndefined()
  })

  it('an inventory under a gc that is a file reads as none', async () => {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'gc'), 'a file')
    expect(await storage.objects.inventory.read()).toBeUndefined()
  })

  it('object times: an id in a one-character directory is not an object', async () => {
    const id = sha('filed under one character')
    await mkdir(join(root, 'objects', id.slice(0, 1)), { recursive: true })
    await writeFile(join(root, 'objects', id.slice(0, 1), id), 'filed under one character')
    const listed: TimedObject[] = []
    for await (const t of storage.objects.listTimed()) listed.push(t)
    expect(listed).toEqual([])
  })

  it('sweep and timesOf take an object directory that is a file as no object', async () => {
    const id = sha('nowhere')
    await mkdir(join(root, 'objects'), { recursive: true })
    await writeFile(join(root, 'objects', id.slice(0, 2)), 'a file')
    expect(await storage.objects.sweep([id], Date.now() + 3600_000)).toEqual([])
    expect(await storage.objects.inventory.timesOf([id])).toEqual([undefined])
    await storage.objects.delete(id) // ENOTDIR: nothing to delete
    expect((await stat(join(root, 'objects', id.slice(0, 2)))).isFile()).toBe(true)
  })

  it('objects/ replaced by a file after a first put: the next put into a new directory is STORAGE naming it', async () => {
    const first = await storage.objects.put(enc.encode('first'))
    let text = 'second'
    for (let i = 0; sha(text).slice(0, 2) === first.slice(0, 2); i++) text = `second ${i}`
    const second = sha(text)
    await rm(join(root, 'objects'), { recursive: true })
    await writeFile(join(root, 'objects'), 'a file where objects/ should be')
    const err = await catchDvError(() => storage.objects.put(enc.encode(text)))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot create directory ${join(root, 'objects', second.slice(0, 2))}: ENOTDIR`)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('corruptForTest of a directory in an object\'s place is STORAGE naming it', async () => {
    const id = sha('a directory')
    await mkdir(objectPath(id), { recursive: true })
    const err = await catchDvError(() => storage.corruptForTest(id))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot read ${objectPath(id)}: EISDIR`)
  })

  it('listTimed reports the time set on the file', async () => {
    const id = await storage.objects.put(enc.encode('dated'))
    const when = new Date(Date.parse('2026-12-02T00:00:00Z'))
    await utimes(objectPath(id), when, when)
    const listed: TimedObject[] = []
    for await (const t of storage.objects.listTimed()) listed.push(t)
    expect(listed).toEqual([{ id, modifiedMs: when.getTime(), bytes: 5 }])
  })
})
