/**
 * The reflog on a local disk (src/store/local-reflog.ts): one read-only file
 * per entry under `reflog/<ref, '/' as %2F>/<key>.json`, published by link
 * from `tmp/`; what a listing skips; the errors that name the path.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type LocalStorage } from '../../src/store/local.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { freshLocalStore } from './local-fixture.js'

const enc = new TextEncoder()
const dec = new TextDecoder()
const at = Date.UTC(2026, 11, 2, 10, 0, 0)

let root: string
let storage: LocalStorage

freshLocalStore('dv-local-reflog-', (store) => ({ root, storage } = store))

describe('local reflog layout', () => {
  it('writes each entry as reflog/<ref with %2F>/<key>.json holding exactly the bytes, read-only, leaving tmp/ empty', async () => {
    const key = await storage.reflog.append('branches/feature/x', at, enc.encode('{"n":1}'))
    expect(key).toMatch(new RegExp(`^${String(at).padStart(16, '0')}-[0-9a-f]{16}$`))
    const folder = join(root, 'reflog', 'branches%2Ffeature%2Fx')
    expect(await readdir(join(root, 'reflog'))).toEqual(['branches%2Ffeature%2Fx'])
    expect(await readdir(folder)).toEqual([`${key}.json`])
    expect(await readFile(join(folder, `${key}.json`), 'utf8')).toBe('{"n":1}')
    expect((await stat(join(folder, `${key}.json`))).mode & 0o777).toBe(0o444)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
    expect(dec.decode(await storage.reflog.read('branches/feature/x', key))).toBe('{"n":1}')
  })

  it('appends to an existing folder, and to a second ref beside it', async () => {
    const k1 = await storage.reflog.append('branches/main', at, enc.encode('1'))
    const k2 = await storage.reflog.append('branches/main', at + 1, enc.encode('2'))
    const k3 = await storage.reflog.append('tags/v1', at, enc.encode('3'))
    expect((await readdir(join(root, 'reflog'))).sort()).toEqual(['branches%2Fmain', 'tags%2Fv1'])
    expect(await storage.reflog.list('branches/main')).toEqual([k1, k2])
    expect(await storage.reflog.list('tags/v1')).toEqual([k3])
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('lists only entry files: other names, keys of another shape and temp leftovers are skipped', async () => {
    const key = await storage.reflog.append('branches/main', at, enc.encode('kept'))
    const folder = join(root, 'reflog', 'branches%2Fmain')
    await writeFile(join(folder, `${key}.json.tmp`), '')
    await writeFile(join(folder, `${key}`), '')
    await writeFile(join(folder, `${'1'.repeat(15)}-${'a'.repeat(16)}.json`), '')
    await writeFile(join(folder, 'notes.json'), '')
    const older = `${'0'.repeat(16)}-${'b'.repeat(16)}`
    await writeFile(join(folder, `${older}.json`), 'older')
    expect(await storage.reflog.list('branches/main')).toEqual([older, key])
  })

  it('lists the refs of the folders whose names map back to a valid ref, sorted', async () => {
    await storage.reflog.append('tags/v1', at, enc.encode('{}'))
    await storage.reflog.append('branches/b', at, enc.encode('{}'))
    await storage.reflog.append('branches/a/c', at, enc.encode('{}'))
    await mkdir(join(root, 'reflog', 'branches%2F..%2Fx'))
    await mkdir(join(root, 'reflog', '.hidden'))
    await mkdir(join(root, 'reflog', 'branches%2fmain')) // lower-case escape: not a folder name dv writes
    expect(await storage.reflog.listRefs()).toEqual(['branches/a/c', 'branches/b', 'tags/v1'])
  })

  it('lists no refs and no entries before anything is logged', async () => {
    expect(await storage.reflog.listRefs()).toEqual([])
    expect(await storage.reflog.list('branches/main')).toEqual([])
  })
})

describe('local reflog errors', () => {
  it('a missing entry is NOT_FOUND naming the ref, the key and the file', async () => {
    await storage.reflog.append('branches/main', at, enc.encode('{}'))
    const key = `${'0'.repeat(16)}-${'0'.repeat(16)}`
    const path = join(root, 'reflog', 'branches%2Fmain', `${key}.json`)
    const err = await catchDvError(() => storage.reflog.read('branches/main', key))
    expect(err.code).toBe('NOT_FOUND')
    expect(err.message).toBe(`reflog entry ${key} of ref 'branches/main' does not exist (${path})`)
    expect(err.details).toEqual({ ref: 'branches/main', key })
    // the same when the ref has no folder, or reflog/ is a file
    expect((await catchDvError(() => storage.reflog.read('branches/other', key))).code).toBe('NOT_FOUND')
    await rm(join(root, 'reflog'), { recursive: true })
    await writeFile(join(root, 'reflog'), 'not a directory')
    expect((await catchDvError(() => storage.reflog.read('branches/main', key))).code).toBe('NOT_FOUND')
    expect(await storage.reflog.list('branches/main')).toEqual([])
  })

  it('an entry that is not a file is STORAGE naming it', async () => {
    const key = `${'0'.repeat(16)}-${'1'.repeat(16)}`
    const path = join(root, 'reflog', 'branches%2Fmain', `${key}.json`)
    await mkdir(path, { recursive: true })
    const err = await catchDvError(() => storage.reflog.read('branches/main', key))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot read ${path}: EISDIR`)
    expect(err.details).toEqual({ path, errno: 'EISDIR' })
  })

  it('listRefs of a reflog/ that is not a directory is STORAGE naming it', async () => {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'reflog'), 'not a directory')
    const err = await catchDvError(() => storage.reflog.listRefs())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot list ${join(root, 'reflog')}: ENOTDIR`)
  })

  it('an append that cannot create the folder is STORAGE naming the ref and the folder, leaving tmp/ empty', async () => {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'reflog'), 'not a directory')
    const err = await catchDvError(() => storage.reflog.append('branches/main', at, enc.encode('{}')))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot append to the reflog of 'branches/main' in ${join(root, 'reflog', 'branches%2Fmain')}: ENOTDIR`)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('a ref folder that is a file lists no entries', async () => {
    await mkdir(join(root, 'reflog'), { recursive: true })
    await writeFile(join(root, 'reflog', 'branches%2Fmain'), 'a file')
    expect(await storage.reflog.list('branches/main')).toEqual([])
    expect(await storage.reflog.listRefs()).toEqual(['branches/main'])
  })

  it('an append whose temp cannot be written is STORAGE and creates no folder', async () => {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'tmp'), 'a file where tmp/ should be')
    const err = await catchDvError(() => storage.reflog.append('branches/main', at, enc.encode('{}')))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot append to the reflog of 'branches/main' in ${join(root, 'reflog', 'branches%2Fmain')}: EEXIST`)
    expect(await readdir(root)).toEqual(['tmp'])
  })
})
