/**
 * The local inventory and generation log (src/store/local-inventory.ts,
 * format-spec/gc.md#inventory-and-generation-log): the exact lines writers
 * append to `gc/log/objects`, sealing into `gc/sealed/`, reading and dropping
 * segments, and the inventory file replaced by rename. A real store in a temp
 * directory each time.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ObjectId } from '../../src/ids.js'
import { type LocalStorage } from '../../src/store/local.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { freshLocalStore } from './local-fixture.js'

const enc = new TextEncoder()
const sha = (text: string) => createHash('sha256').update(text).digest('hex') as ObjectId

let dir: string
let root: string
let storage: LocalStorage

freshLocalStore('dv-local-inventory-', (store) => ({ dir, root, storage } = store))

const inventory = () => storage.objects.inventory
const logPath = () => join(root, 'gc', 'log', 'objects')
const exists = (path: string) => stat(path).then(() => true, () => false)

describe('the generation log', () => {
  it('gets one "<id> <bytes>" line per object stored, by put, putFile and adoptFile', async () => {
    const a = await storage.objects.put(enc.encode('first'))
    const source = join(dir, 'source.bin')
    await writeFile(source, 'from a file')
    const { id: b } = await storage.objects.putFile(source)
    const adopted = join(root, 'tmp', 'adopt-me')
    await writeFile(adopted, 'adopted bytes!')
    const { id: c } = await storage.objects.adoptFile(adopted)
    expect(await readFile(logPath(), 'utf8')).toBe(`${a} 5\n${b} 11\n${c} 14\n`)
    expect(await readdir(join(root, 'gc', 'log'))).toEqual(['objects'])
  })

  it('gets a line again for an object stored again (the writer relies on it), and for an empty object', async () => {
    const a = await storage.objects.put(enc.encode('again'))
    await storage.objects.localPath(a)
    expect(await storage.objects.put(enc.encode('again'))).toBe(a)
    const empty = await storage.objects.put(new Uint8Array())
    expect(await readFile(logPath(), 'utf8')).toBe(`${a} 5\n${a} 5\n${empty} 0\n`)
  })

  it('collects the lines of concurrent writes in whole lines, none lost', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `concurrent ${i}`)
    const ids = await Promise.all(texts.map((t) => storage.objects.put(enc.encode(t))))
    const lines = (await readFile(logPath(), 'utf8')).split('\n')
    expect(lines.pop()).toBe('')
    expect(lines.sort()).toEqual(ids.map((id, i) => `${id} ${texts[i]!.length}`).sort())
  })

  it('a store whose log cannot be written fails the put as STORAGE naming the log, and the next put succeeds once it can', async () => {
    await mkdir(join(root, 'gc'), { recursive: true })
    await writeFile(join(root, 'gc', 'log'), 'a file where log/ should be')
    const err = await catchDvError(() => storage.objects.put(enc.encode('unlogged')))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot append to the gc log ${logPath()}: EEXIST`)
    await rm(join(root, 'gc', 'log'))
    const id = await storage.objects.put(enc.encode('logged'))
    expect(await readFile(logPath(), 'utf8')).toBe(`${id} 6\n`)
  })

  it('a log that goes bad after the first line fails the next append as STORAGE', async () => {
    const a = await storage.objects.put(enc.encode('one'))
    await rm(logPath())
    await mkdir(logPath()) // appendFile onto a directory
    const err = await catchDvError(() => storage.objects.put(enc.encode('two')))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot append to the gc log ${logPath()}: EISDIR`)
    expect(await storage.objects.has(a)).toBe(true)
  })
})

describe('sealing and reading the log', () => {
  it('seal renames the log into sealed/ under a name of its own; the next line starts a new log', async () => {
    const a = await storage.objects.put(enc.encode('before the seal'))
    const sealed = await inventory().seal()
    expect(sealed).toHaveLength(1)
    expect(sealed[0]).toMatch(/^sealed\/objects\.[0-9a-f]{8}$/)
    expect(await readdir(join(root, 'gc', 'log'))).toEqual([])
    expect(await readdir(join(root, 'gc', 'sealed'))).toEqual([sealed[0]!.slice('sealed/'.length)])
    expect(await inventory().readSegment(sealed[0]!)).toEqual([{ id: a, bytes: 15 }])

    const b = await storage.objects.put(enc.encode('after'))
    expect(await readFile(logPath(), 'utf8')).toBe(`${b} 5\n`)
    const again = await inventory().seal()
    expect(again).toHaveLength(2)
    expect(again).toContain(sealed[0])
    expect(again).toEqual([...again].sort())
    const second = again.find((n) => n !== sealed[0])!
    expect(await inventory().readSegment(second)).toEqual([{ id: b, bytes: 5 }])
  })

  it('a dry run renames nothing and names the log and what sealed/ already holds', async () => {
    expect(await inventory().seal(true)).toEqual([])
    await storage.objects.put(enc.encode('one'))
    const [old] = await inventory().seal()
    await storage.objects.put(enc.encode('two'))
    expect(await inventory().seal(true)).toEqual(['log/objects', old])
    expect(await readdir(join(root, 'gc', 'log'))).toEqual(['objects'])
    expect(await readdir(join(root, 'gc', 'sealed'))).toEqual([old!.slice('sealed/'.length)])
  })

  it('sealing with nothing logged creates no sealed/ directory and names nothing', async () => {
    expect(await inventory().seal()).toEqual([])
    expect(await exists(join(root, 'gc'))).toBe(false)
    await mkdir(join(root, 'gc', 'log'), { recursive: true })
    expect(await inventory().seal()).toEqual([])
    expect(await exists(join(root, 'gc', 'sealed'))).toBe(false)
  })

  it('keeps a segment a gc that died sealed, and names it with the new ones', async () => {
    const leftover = `objects.deadbeef`
    const id = sha('from a dead gc')
    await mkdir(join(root, 'gc', 'sealed'), { recursive: true })
    await writeFile(join(root, 'gc', 'sealed', leftover), `${id} 14\n`)
    expect(await inventory().seal()).toEqual([`sealed/${leftover}`])
    expect(await inventory().readSegment(`sealed/${leftover}`)).toEqual([{ id, bytes: 14 }])
  })

  it('fails as STORAGE when sealed/ cannot be a directory, leaving the log where it is', async () => {
    const a = await storage.objects.put(enc.encode('stays'))
    await writeFile(join(root, 'gc', 'sealed'), 'a file where sealed/ should be')
    const err = await catchDvError(() => inventory().seal())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot create directory ${join(root, 'gc', 'sealed')}: EEXIST`)
    expect(await readFile(logPath(), 'utf8')).toBe(`${a} 5\n`)
  })

  it('names no log when gc/log is not a directory', async () => {
    await mkdir(join(root, 'gc'), { recursive: true })
    await writeFile(join(root, 'gc', 'log'), 'a file')
    expect(await inventory().seal()).toEqual([]) // ENOTDIR: no log
    expect(await inventory().seal(true)).toEqual([])
    expect(await exists(join(root, 'gc', 'sealed'))).toBe(false)
  })

  it('readSegment skips torn and malformed lines, and returns nothing for a segment already dropped', async () => {
    const a = sha('a')
    const b = sha('b')
    await mkdir(join(root, 'gc', 'sealed'), { recursive: true })
    await writeFile(join(root, 'gc', 'sealed', 'objects.00000001'), `${a} 1\nnot a line\n${b} 22\n${a.slice(0, 40)}`)
    expect(await inventory().readSegment('sealed/objects.00000001')).toEqual([{ id: a, bytes: 1 }, { id: b, bytes: 22 }])
    expect(await inventory().readSegment('sealed/objects.gone')).toEqual([])
  })

  it('readSegment of something that is not a file fails as STORAGE naming it', async () => {
    await mkdir(join(root, 'gc', 'sealed', 'objects.dir'), { recursive: true })
    const err = await catchDvError(() => inventory().readSegment('sealed/objects.dir'))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot read ${join(root, 'gc', 'sealed', 'objects.dir')}: EISDIR`)
  })

  it('dropSegments deletes the named segments only, tolerating one already gone', async () => {
    await storage.objects.put(enc.encode('one'))
    const [first] = await inventory().seal()
    await storage.objects.put(enc.encode('two'))
    const both = await inventory().seal()
    const second = both.find((n) => n !== first)!
    await inventory().dropSegments([first!, 'sealed/objects.never'])
    expect(await readdir(join(root, 'gc', 'sealed'))).toEqual([second.slice('sealed/'.length)])
    await inventory().dropSegments([second])
    expect(await readdir(join(root, 'gc', 'sealed'))).toEqual([])
  })

  it('dropSegments fails as STORAGE on a segment it cannot delete', async () => {
    await mkdir(join(root, 'gc', 'sealed', 'objects.dir'), { recursive: true })
    const err = await catchDvError(() => inventory().dropSegments(['sealed/objects.dir']))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toMatch(new RegExp(`^cannot delete ${join(root, 'gc', 'sealed', 'objects.dir')}: E(ISDIR|PERM)$`))
    expect(await exists(join(root, 'gc', 'sealed', 'objects.dir'))).toBe(true)
  })
})

describe('the inventory file', () => {
  it('is absent before the first write; a write replaces it with a header and lines sorted by id', async () => {
    expect(await inventory().read()).toBeUndefined()
    const [a, b, c] = [sha('a'), sha('b'), sha('c')].sort() as [ObjectId, ObjectId, ObjectId]
    await inventory().write([{ id: c, bytes: 3 }, { id: a, bytes: 1 }, { id: b, bytes: 0 }])
    expect(await readFile(join(root, 'gc', 'inventory'), 'utf8')).toBe(`dv-inventory 1\n${a} 1\n${b} 0\n${c} 3\n`)
    expect(await inventory().read()).toEqual([{ id: a, bytes: 1 }, { id: b, bytes: 0 }, { id: c, bytes: 3 }])
    await inventory().write([{ id: b, bytes: 9 }])
    expect(await readFile(join(root, 'gc', 'inventory'), 'utf8')).toBe(`dv-inventory 1\n${b} 9\n`)
    expect(await inventory().read()).toEqual([{ id: b, bytes: 9 }])
    expect(await readdir(join(root, 'tmp'))).toEqual([])
    expect((await stat(join(root, 'gc', 'inventory'))).mode & 0o777).toBe(0o444)
  })

  it('an empty inventory is just the header', async () => {
    await inventory().write([])
    expect(await readFile(join(root, 'gc', 'inventory'), 'utf8')).toBe('dv-inventory 1\n')
    expect(await inventory().read()).toEqual([])
  })

  it('a damaged inventory reads as CORRUPT naming the file and the line', async () => {
    const path = join(root, 'gc', 'inventory')
    await mkdir(join(root, 'gc'), { recursive: true })
    await writeFile(path, `dv-inventory 1\n${sha('a')} 1\nbroken\n`)
    const err = await catchDvError(() => inventory().read())
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toBe(`the gc inventory ${path} is damaged: line 3 is not "<64 hex id> <bytes>"`)
    expect(err.hint).toBe('run dv gc --list-all: it lists the store instead and writes a new inventory')
  })

  it('an inventory that is not a file reads as STORAGE', async () => {
    await mkdir(join(root, 'gc', 'inventory'), { recursive: true })
    const err = await catchDvError(() => inventory().read())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot read ${join(root, 'gc', 'inventory')}: EISDIR`)
  })

  it('a write that cannot land fails as STORAGE naming the inventory, leaving tmp/ empty', async () => {
    await mkdir(join(root, 'gc', 'inventory', 'inside'), { recursive: true }) // rename onto a non-empty directory
    const err = await catchDvError(() => inventory().write([{ id: sha('a'), bytes: 1 }]))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot write ${join(root, 'gc', 'inventory')}: EISDIR`)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('timesOf gives each object its mtime and size, undefined for one not stored, in the order asked', async () => {
    const a = await storage.objects.put(enc.encode('aaa'))
    const when = new Date(Date.parse('2026-01-02T03:04:05Z'))
    await utimes(join(root, 'objects', a.slice(0, 2), a), when, when)
    const missing = sha('missing')
    expect(await inventory().timesOf([missing, a])).toEqual([undefined, { id: a, modifiedMs: when.getTime(), bytes: 3 }])
    expect(await inventory().timesOf([])).toEqual([])
  })
})
