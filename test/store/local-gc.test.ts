/**
 * What gc needs of a local object store (src/store/local-gc.ts): object times
 * read from the files, the file system's clock, a sweep that goes through
 * `gc-trash/`, and the recovery of what a gc that died left there. Each test
 * runs against a real store in a temp directory; times are set with utimes.
 */
import { createHash } from 'node:crypto'
import { link, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ObjectId } from '../../src/ids.js'
import { type LocalStorage } from '../../src/store/local.js'
import type { TimedObject } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { freshLocalStore } from './local-fixture.js'

const enc = new TextEncoder()
const HOUR = 3600_000
const sha = (text: string) => createHash('sha256').update(text).digest('hex') as ObjectId

let root: string
let storage: LocalStorage

freshLocalStore('dv-local-gc-', (store) => ({ root, storage } = store))

const objectPath = (id: string) => join(root, 'objects', id.slice(0, 2), id)
const trashPath = (id: string) => join(root, 'gc-trash', id)
const exists = (path: string) => stat(path).then(() => true, () => false)

async function timed(): Promise<TimedObject[]> {
  const out: TimedObject[] = []
  for await (const t of storage.objects.listTimed()) out.push(t)
  return out
}

/** Stores `text` and sets its file's mtime to `ageMs` before now. */
async function putAged(text: string, ageMs: number): Promise<{ id: ObjectId; mtimeMs: number }> {
  const id = await storage.objects.put(enc.encode(text))
  const when = new Date(Date.now() - ageMs)
  await utimes(objectPath(id), when, when)
  return { id, mtimeMs: (await stat(objectPath(id))).mtimeMs }
}

describe('listTimed', () => {
  it('gives each object its file mtime and size, directory by directory in order', async () => {
    const texts = Array.from({ length: 12 }, (_, i) => `object ${i}`)
    const stored = []
    for (const [i, text] of texts.entries()) stored.push({ ...(await putAged(text, (i + 1) * HOUR)), bytes: text.length })
    const expected = stored
      .map(({ id, mtimeMs, bytes }) => ({ id, modifiedMs: mtimeMs, bytes }))
      .sort((a, b) => (a.id.slice(0, 2) < b.id.slice(0, 2) ? -1 : a.id.slice(0, 2) > b.id.slice(0, 2) ? 1 : 0))
    const listed = await timed()
    // directories come sorted; names inside one directory in the order readdir gives
    expect(listed.map((t) => t.id.slice(0, 2))).toEqual(expected.map((t) => t.id.slice(0, 2)))
    expect([...listed].sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([...expected].sort((a, b) => (a.id < b.id ? -1 : 1)))
  })

  it('skips what is not an object: other directories, names of another directory, stray files and subdirectories', async () => {
    const { id, mtimeMs } = await putAged('kept', HOUR)
    const other = sha('misplaced')
    const misplacedDir = other.slice(0, 2) === 'ab' ? 'cd' : 'ab'
    await mkdir(join(root, 'objects', misplacedDir))
    await writeFile(join(root, 'objects', misplacedDir, other), 'misplaced') // an id under the wrong directory
    await writeFile(join(root, 'objects', id.slice(0, 2), 'notes.txt'), 'stray')
    await mkdir(join(root, 'objects', 'zz'))
    await writeFile(join(root, 'objects', 'zz', `zz${'0'.repeat(62)}`), 'not hex')
    await mkdir(join(root, 'objects', 'ABC'))
    await writeFile(join(root, 'objects', 'stray-file'), '')
    const dirId = `${id.slice(0, 2)}${'e'.repeat(62)}`
    await mkdir(join(root, 'objects', id.slice(0, 2), dirId)) // a directory under an object's name
    expect(await timed()).toEqual([{ id, modifiedMs: mtimeMs, bytes: 4 }])
  })

  it('lists nothing for a store that holds no object yet, or whose objects/ is a file', async () => {
    expect(await timed()).toEqual([])
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'objects'), 'not a directory')
    expect(await timed()).toEqual([])
  })
})

describe('storeTime', () => {
  it('is the mtime the file system gives a new file, creating tmp/ and leaving nothing in it', async () => {
    const before = Date.now()
    const t = await storage.objects.storeTime()
    const after = Date.now()
    // the file system's clock is the machine's here (coarser, at most a tick behind)
    expect(t).toBeGreaterThanOrEqual(before - 20)
    expect(t).toBeLessThanOrEqual(after + 20)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('fails as STORAGE naming tmp/ when it cannot be a directory', async () => {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'tmp'), 'a file where tmp/ should be')
    const err = await catchDvError(() => storage.objects.storeTime())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot create directory ${join(root, 'tmp')}: EEXIST`)
  })
})

describe('sweep', () => {
  it('deletes exactly the listed objects older than the cutoff, in the order given, leaving the trash empty', async () => {
    const a = await putAged('a', 3 * HOUR)
    const b = await putAged('b', 2 * HOUR)
    const young = await putAged('young', 0)
    const unlisted = await putAged('unlisted', 5 * HOUR)
    const cutoff = Date.now() - HOUR
    const missing = sha('never stored')
    expect(await storage.objects.sweep([b.id, missing, young.id, a.id], cutoff)).toEqual([b.id, a.id])
    expect(await exists(objectPath(a.id))).toBe(false)
    expect(await exists(objectPath(b.id))).toBe(false)
    expect(await readFile(objectPath(young.id), 'utf8')).toBe('young')
    expect(await readFile(objectPath(unlisted.id), 'utf8')).toBe('unlisted')
    expect(await readdir(join(root, 'gc-trash'))).toEqual([])
  })

  it('keeps an object whose time is exactly the cutoff', async () => {
    const { id, mtimeMs } = await putAged('at the cutoff', HOUR)
    expect(await storage.objects.sweep([id], mtimeMs)).toEqual([])
    expect(await exists(objectPath(id))).toBe(true)
    expect(await storage.objects.sweep([id], mtimeMs + 1)).toEqual([id])
    expect(await exists(objectPath(id))).toBe(false)
  })

  it('forgets that a swept object was verified: a later localPath reports it NOT_FOUND, a put stores it again', async () => {
    const { id } = await putAged('verified then swept', HOUR)
    expect(await storage.objects.localPath(id)).toBe(objectPath(id))
    expect(await storage.objects.sweep([id], Date.now())).toEqual([id])
    expect((await catchDvError(() => storage.objects.localPath(id))).code).toBe('NOT_FOUND')
    expect(await storage.objects.put(enc.encode('verified then swept'))).toBe(id)
    expect(await readFile(objectPath(id), 'utf8')).toBe('verified then swept')
  })

  it('skips a directory found under an object name and refuses an invalid id', async () => {
    const id = `${'ab'}${'1'.repeat(62)}` as ObjectId
    await mkdir(objectPath(id), { recursive: true })
    expect(await storage.objects.sweep([id], Date.now() + HOUR)).toEqual([])
    expect((await stat(objectPath(id))).isDirectory()).toBe(true)
    const err = await catchDvError(() => storage.objects.sweep(['not-an-id' as ObjectId], Date.now()))
    expect(err.code).toBe('INVALID_ARGUMENT')
  })

  it('fails as STORAGE naming gc-trash/ when it cannot be a directory, deleting nothing', async () => {
    const { id } = await putAged('kept', HOUR)
    await writeFile(join(root, 'gc-trash'), 'a file where the trash should be')
    const err = await catchDvError(() => storage.objects.sweep([id], Date.now()))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot create directory ${join(root, 'gc-trash')}: EEXIST`)
    expect(await readFile(objectPath(id), 'utf8')).toBe('kept')
  })

  it('fails as STORAGE naming the object when the trash entry cannot take it, leaving the object', async () => {
    const { id } = await putAged('blocked', HOUR)
    await mkdir(join(trashPath(id), 'inside'), { recursive: true }) // rename onto a non-empty directory fails
    const err = await catchDvError(() => storage.objects.sweep([id], Date.now()))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot move to the trash ${objectPath(id)}: EISDIR`)
    expect(err.details).toEqual({ path: objectPath(id), errno: 'EISDIR' })
    expect(await readFile(objectPath(id), 'utf8')).toBe('blocked')
  })
})

describe('recoverSweep (what a gc that died left in gc-trash/)', () => {
  it('puts each trashed object back under its name, creating its directory, and counts them', async () => {
    const kept = await putAged('in place', HOUR)
    const ids = [sha('trashed one'), sha('trashed two')]
    await mkdir(join(root, 'gc-trash'), { recursive: true })
    await writeFile(trashPath(ids[0]!), 'trashed one')
    await writeFile(trashPath(ids[1]!), 'trashed two')
    expect(await storage.objects.recoverSweep()).toBe(2)
    expect(await readFile(objectPath(ids[0]!), 'utf8')).toBe('trashed one')
    expect(await readFile(objectPath(ids[1]!), 'utf8')).toBe('trashed two')
    expect(await readdir(join(root, 'gc-trash'))).toEqual([])
    expect(await storage.objects.get(ids[0]!)).toEqual(enc.encode('trashed one'))
    expect((await timed()).map((t) => t.id).sort()).toEqual([kept.id, ...ids].sort())
  })

  it('keeps the copy a writer stored again meanwhile and drops the trashed one', async () => {
    const { id } = await putAged('stored again', HOUR)
    await mkdir(join(root, 'gc-trash'), { recursive: true })
    await writeFile(trashPath(id), 'stale trashed bytes')
    expect(await storage.objects.recoverSweep()).toBe(1)
    expect(await readFile(objectPath(id), 'utf8')).toBe('stored again')
    expect(await readdir(join(root, 'gc-trash'))).toEqual([])
  })

  it('leaves names that are not object ids, and restores nothing from an absent trash', async () => {
    expect(await storage.objects.recoverSweep()).toBe(0)
    expect(await exists(join(root, 'gc-trash'))).toBe(false)
    await mkdir(join(root, 'gc-trash'), { recursive: true })
    await writeFile(join(root, 'gc-trash', 'notes.txt'), 'not an object')
    await writeFile(join(root, 'gc-trash', sha('x').toUpperCase()), 'not an id either')
    expect(await storage.objects.recoverSweep()).toBe(0)
    expect((await readdir(join(root, 'gc-trash'))).sort()).toEqual([sha('x').toUpperCase(), 'notes.txt'].sort())
    expect(await exists(join(root, 'objects'))).toBe(false)
  })

  it('fails as STORAGE when the object directory cannot be made', async () => {
    const id = sha('no room')
    await mkdir(join(root, 'gc-trash'), { recursive: true })
    await writeFile(trashPath(id), 'no room')
    await writeFile(join(root, 'objects'), 'a file where objects/ should be')
    const err = await catchDvError(() => storage.objects.recoverSweep())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot create directory ${objectPath(id)}: ENOTDIR`)
    expect(await readFile(trashPath(id), 'utf8')).toBe('no room')
  })

  it('fails as STORAGE naming the object when it cannot be linked back, keeping the trash entry', async () => {
    const id = sha('a directory')
    await mkdir(join(trashPath(id), 'inside'), { recursive: true }) // link(2) refuses a directory
    const err = await catchDvError(() => storage.objects.recoverSweep())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot restore ${objectPath(id)}: EPERM`)
    expect(err.details).toEqual({ path: objectPath(id), errno: 'EPERM' })
    expect(await readdir(trashPath(id))).toEqual(['inside'])
    expect(await exists(objectPath(id))).toBe(false)
  })

  it('is idempotent with a link already in place: the trash entry goes, the object stays', async () => {
    const { id } = await putAged('linked twice', HOUR)
    await mkdir(join(root, 'gc-trash'), { recursive: true })
    await link(objectPath(id), trashPath(id))
    expect(await storage.objects.recoverSweep()).toBe(1)
    expect(await storage.objects.recoverSweep()).toBe(0)
    expect(await readFile(objectPath(id), 'utf8')).toBe('linked twice')
    expect(await readdir(join(root, 'gc-trash'))).toEqual([])
  })
})
