/**
 * Objects and config on a local disk (src/store/local-objects.ts, local.ts)
 * beyond the conformance suite: adopting a file from another file system,
 * reusing and repairing what is already stored, listings by prefix, and the
 * exact errors for missing, damaged and blocked files.
 */
import { createHash } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ObjectId } from '../../src/ids.js'
import { openLocalStorage, type LocalStorage } from '../../src/store/local.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { freshLocalStore } from './local-fixture.js'

const enc = new TextEncoder()
const sha = (text: string) => createHash('sha256').update(text).digest('hex') as ObjectId
const HOUR = 3600_000

let dir: string
let root: string
let storage: LocalStorage

freshLocalStore('dv-local-objects-', (store) => ({ dir, root, storage } = store))

const objectPath = (id: string) => join(root, 'objects', id.slice(0, 2), id)
const exists = (path: string) => stat(path).then(() => true, () => false)
const log = () => readFile(join(root, 'gc', 'log', 'objects'), 'utf8')

async function listed(prefix?: string): Promise<string[]> {
  const out: string[] = []
  for await (const id of storage.objects.list(prefix)) out.push(id)
  return out.sort()
}

async function age(id: string): Promise<number> {
  const when = new Date(Date.now() - HOUR)
  await utimes(objectPath(id), when, when)
  return (await stat(objectPath(id))).mtimeMs
}

describe('adoptFile', () => {
  it('adopts a file from another file system by copying it, and removes the original', async () => {
    const shm = '/dev/shm'
    if (!(await exists(shm)) || (await stat(shm)).dev === (await stat(tmpdir())).dev) return // needs a second file system
    const source = await mkdtemp(join(shm, 'dv-adopt-'))
    try {
      const path = join(source, 'part.parquet')
      await writeFile(path, 'bytes from elsewhere')
      expect(await storage.objects.adoptFile(path)).toEqual({ id: sha('bytes from elsewhere'), bytes: 20 })
      expect(await readFile(objectPath(sha('bytes from elsewhere')), 'utf8')).toBe('bytes from elsewhere')
      expect((await stat(objectPath(sha('bytes from elsewhere')))).mode & 0o777).toBe(0o444)
      expect(await readdir(source)).toEqual([])
      expect(await readdir(join(root, 'tmp'))).toEqual([])
      expect(await log()).toBe(`${sha('bytes from elsewhere')} 20\n`)
    } finally {
      await rm(source, { recursive: true, force: true })
    }
  })

  it('reuses an intact copy another store instance wrote: same file, refreshed, original removed', async () => {
    const id = await storage.objects.put(enc.encode('shared'))
    const oldTime = await age(id)
    const ino = (await stat(objectPath(id))).ino
    const other = openLocalStorage(root) // nothing verified in this instance
    const path = join(root, 'tmp', 'incoming')
    await writeFile(path, 'shared')
    expect(await other.objects.adoptFile(path)).toEqual({ id, bytes: 6 })
    const after = await stat(objectPath(id))
    expect(after.ino).toBe(ino)
    expect(after.mtimeMs).toBeGreaterThan(oldTime)
    expect(await exists(path)).toBe(false)
    expect(await log()).toBe(`${id} 6\n${id} 6\n`)
  })

  it('replaces a corrupt copy under the object name with the adopted file', async () => {
    const id = await storage.objects.put(enc.encode('to be repaired'))
    await storage.writeRawForTest(id, enc.encode('rotten'))
    const path = join(root, 'tmp', 'incoming')
    await writeFile(path, 'to be repaired')
    expect(await storage.objects.adoptFile(path)).toEqual({ id, bytes: 14 })
    expect(await readFile(objectPath(id), 'utf8')).toBe('to be repaired')
    expect((await stat(objectPath(id))).mode & 0o777).toBe(0o444)
    expect(await storage.objects.get(id)).toEqual(enc.encode('to be repaired'))
    expect(await exists(path)).toBe(false)
  })

  it('a file that cannot be read is STORAGE naming it', async () => {
    const path = join(dir, 'missing.parquet')
    const err = await catchDvError(() => storage.objects.adoptFile(path))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot read ${path}: ENOENT`)
  })

  it('an object directory that is a file is STORAGE naming the object, and nothing is logged', async () => {
    const id = sha('blocked')
    await mkdir(join(root, 'objects'), { recursive: true })
    await writeFile(join(root, 'objects', id.slice(0, 2)), 'a file where the directory should be')
    const path = join(dir, 'blocked')
    await writeFile(path, 'blocked')
    const err = await catchDvError(() => storage.objects.adoptFile(path))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot publish ${objectPath(id)}: ENOTDIR`)
    expect(await exists(path)).toBe(false)
    expect(await exists(join(root, 'gc', 'log', 'objects'))).toBe(false)
  })
})

describe('put', () => {
  it('keeps the file of an object already stored and verified, refreshing its time', async () => {
    const id = await storage.objects.put(enc.encode('kept'))
    await storage.objects.localPath(id)
    const oldTime = await age(id)
    const ino = (await stat(objectPath(id))).ino
    expect(await storage.objects.put(enc.encode('kept'))).toBe(id)
    const after = await stat(objectPath(id))
    expect(after.ino).toBe(ino)
    expect(after.mtimeMs).toBeGreaterThan(oldTime)
    // still reads as intact after the refresh
    expect(await storage.objects.localPath(id)).toBe(objectPath(id))
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('keeps and refreshes an intact copy it has not verified yet', async () => {
    const id = await storage.objects.put(enc.encode('found'))
    const oldTime = await age(id)
    const ino = (await stat(objectPath(id))).ino
    const other = openLocalStorage(root)
    expect(await other.objects.put(enc.encode('found'))).toBe(id)
    expect((await stat(objectPath(id))).ino).toBe(ino)
    expect((await stat(objectPath(id))).mtimeMs).toBeGreaterThan(oldTime)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('replaces a copy of the wrong size that was verified before (its stamp changed)', async () => {
    const id = await storage.objects.put(enc.encode('original bytes'))
    await storage.objects.localPath(id)
    await storage.writeRawForTest(id, enc.encode('torn'))
    expect(await storage.objects.put(enc.encode('original bytes'))).toBe(id)
    expect(await readFile(objectPath(id), 'utf8')).toBe('original bytes')
  })

  it('a tmp/ that cannot be made is STORAGE naming it; once it can, the next put works', async () => {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'tmp'), 'a file where tmp/ should be')
    const err = await catchDvError(() => storage.objects.put(enc.encode('waiting')))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot create directory ${join(root, 'tmp')}: EEXIST`)
    await rm(join(root, 'tmp'))
    const id = await storage.objects.put(enc.encode('waiting'))
    expect(await readFile(objectPath(id), 'utf8')).toBe('waiting')
  })

  it('creates objects/ and the object directory on first use, and reuses them', async () => {
    const a = await storage.objects.put(enc.encode('first'))
    expect(await readdir(join(root, 'objects'))).toEqual([a.slice(0, 2)])
    const b = await storage.objects.put(enc.encode('second'))
    expect((await readdir(join(root, 'objects'))).sort()).toEqual([...new Set([a.slice(0, 2), b.slice(0, 2)])].sort())
    expect(await readdir(join(root, 'objects', b.slice(0, 2)))).toContain(b)
  })
})

describe('putFile', () => {
  it('a missing source is NOT_FOUND naming it, one that is a directory STORAGE', async () => {
    const missing = join(dir, 'nope', 'in.csv')
    const err = await catchDvError(() => storage.objects.putFile(missing))
    expect(err.code).toBe('NOT_FOUND')
    expect(err.message).toBe(`${missing} does not exist`)
    expect(err.details).toEqual({ path: missing })
    const folder = join(dir, 'folder')
    await mkdir(folder)
    const bad = await catchDvError(() => storage.objects.putFile(folder))
    expect(bad.code).toBe('STORAGE')
    expect(bad.message).toBe(`cannot copy ${folder}: EISDIR`)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('a source that does not hash to the expected id is CORRUPT naming both, and leaves nothing', async () => {
    const path = join(dir, 'changed.bin')
    await writeFile(path, 'what is there')
    const expected = sha('what was expected')
    const err = await catchDvError(() => storage.objects.putFile(path, expected))
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toBe(`file ${path} hashes to ${sha('what is there')}, expected ${expected}`)
    expect(err.hint).toBe('the file changed while it was being stored; write it again')
    expect(err.details).toEqual({ path, id: sha('what is there'), expectedId: expected })
    expect(await readdir(join(root, 'tmp'))).toEqual([])
    expect(await exists(join(root, 'objects'))).toBe(false)
    expect(await readFile(path, 'utf8')).toBe('what is there')
  })

  it('stores a source that hashes to the expected id and keeps the source', async () => {
    const path = join(dir, 'same.bin')
    await writeFile(path, 'as expected')
    expect(await storage.objects.putFile(path, sha('as expected'))).toEqual({ id: sha('as expected'), bytes: 11 })
    expect(await readFile(path, 'utf8')).toBe('as expected')
    expect(await readFile(objectPath(sha('as expected')), 'utf8')).toBe('as expected')
  })
})

describe('reading, listing and deleting', () => {
  it('lists by prefixes of 0, 1, 2, 3 and 64 characters', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => storage.objects.put(enc.encode(`item ${i}`))))
    const pick = ids[7]!
    for (const prefix of ['', pick.slice(0, 1), pick.slice(0, 2), pick.slice(0, 3), pick]) {
      expect(await listed(prefix), prefix).toEqual(ids.filter((id) => id.startsWith(prefix)).sort())
    }
    expect(await listed()).toEqual([...ids].sort())
    expect(await listed('f'.repeat(63) + '0')).toEqual(ids.filter((id) => id === 'f'.repeat(63) + '0'))
    expect((await catchDvError(() => listed('XYZ'))).code).toBe('INVALID_ARGUMENT')
  })

  it('lists nothing when objects/ is missing or a file, and skips an object directory that is a file', async () => {
    expect(await listed()).toEqual([])
    const id = await storage.objects.put(enc.encode('one'))
    const other = id.startsWith('0') ? '1f' : '0f'
    await writeFile(join(root, 'objects', other), '')
    expect(await listed()).toEqual([id])
    expect(await listed(other)).toEqual([])
    await rm(join(root, 'objects'), { recursive: true })
    await writeFile(join(root, 'objects'), '')
    expect(await listed()).toEqual([])
  })

  it('a directory under an object name is no object: has false, size undefined, get STORAGE', async () => {
    const id = sha('a directory')
    await mkdir(objectPath(id), { recursive: true })
    expect(await storage.objects.has(id)).toBe(false)
    expect(await storage.objects.size(id)).toBeUndefined()
    expect((await catchDvError(() => storage.objects.localPath(id))).code).toBe('NOT_FOUND')
    const err = await catchDvError(() => storage.objects.get(id))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot read ${objectPath(id)}: EISDIR`)
  })

  it('size is the stored byte count, and a missing object under a file in place of its directory is absent', async () => {
    const id = await storage.objects.put(enc.encode('12345'))
    expect(await storage.objects.size(id)).toBe(5)
    const other = sha('elsewhere')
    await mkdir(join(root, 'objects'), { recursive: true })
    if (other.slice(0, 2) !== id.slice(0, 2)) await writeFile(join(root, 'objects', other.slice(0, 2)), '')
    expect(await storage.objects.has(other)).toBe(false)
    expect((await catchDvError(() => storage.objects.get(other))).code).toBe('NOT_FOUND')
  })

  it('localPath of a damaged object is CORRUPT naming the id, the hash found and the file', async () => {
    const id = await storage.objects.put(enc.encode('sound'))
    await storage.writeRawForTest(id, enc.encode('unsound'))
    const err = await catchDvError(() => storage.objects.localPath(id))
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toContain(id)
    expect(err.message).toContain(sha('unsound'))
    expect(err.message).toContain(objectPath(id))
    // a verified object whose file is replaced is hashed again
    const good = await storage.objects.put(enc.encode('good'))
    expect(await storage.objects.localPath(good)).toBe(objectPath(good))
    await storage.writeRawForTest(good, enc.encode('bad!'))
    expect((await catchDvError(() => storage.objects.localPath(good))).code).toBe('CORRUPT')
  })

  it('a verified object rewritten in place with its size and mtime kept is hashed again (its ctime changed)', async () => {
    const id = await storage.objects.put(enc.encode('genuine bytes'))
    const path = objectPath(id)
    const when = new Date(Date.parse('2026-12-01T00:00:00Z')) // whole seconds: set back exactly below
    await utimes(path, when, when)
    expect(await storage.objects.localPath(id)).toBe(path)
    const before = await stat(path)
    await chmod(path, 0o644)
    await writeFile(path, 'forged bytes!') // same length, same inode
    await chmod(path, 0o444)
    await utimes(path, when, when)
    const after = await stat(path)
    expect([after.ino, after.size, after.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs])
    const err = await catchDvError(() => storage.objects.localPath(id))
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toContain(sha('forged bytes!'))
  })

  it('a prefix of two or more characters lists only its own directory, not an id filed under another', async () => {
    const id = await storage.objects.put(enc.encode('filed right'))
    const misfiled = sha('filed wrong')
    const wrongDir = misfiled.slice(0, 2) === id.slice(0, 2) ? 'ff' : id.slice(0, 2)
    await mkdir(join(root, 'objects', wrongDir), { recursive: true })
    await writeFile(join(root, 'objects', wrongDir, misfiled), 'filed wrong')
    await mkdir(join(root, 'objects', 'zz'), { recursive: true })
    await writeFile(join(root, 'objects', 'zz', sha('under zz')), 'under zz')
    expect(await listed(misfiled.slice(0, 2))).toEqual([])
    expect(await listed(misfiled.slice(0, 5))).toEqual([])
    expect(await listed(id.slice(0, 2))).toEqual([id])
    expect((await listed()).includes(sha('under zz'))).toBe(false)
  })

  it('delete forgets the verification and tolerates an absent object or directory; a directory in its place is STORAGE', async () => {
    const id = await storage.objects.put(enc.encode('gone soon'))
    await storage.objects.localPath(id)
    await storage.objects.delete(id)
    expect(await exists(objectPath(id))).toBe(false)
    expect((await catchDvError(() => storage.objects.localPath(id))).code).toBe('NOT_FOUND')
    await storage.objects.delete(id)
    await storage.objects.delete(sha('never stored'))
    const blocked = sha('blocked')
    await mkdir(join(objectPath(blocked), 'x'), { recursive: true })
    const err = await catchDvError(() => storage.objects.delete(blocked))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toMatch(new RegExp(`^cannot delete ${objectPath(blocked)}: E(ISDIR|PERM)$`))
  })

  it('the test hooks: a missing object cannot be corrupted (NOT_FOUND); a raw write is logged and not trusted', async () => {
    const missing = sha('missing')
    const err = await catchDvError(() => storage.corruptForTest(missing))
    expect(err.code).toBe('NOT_FOUND')
    const id = await storage.objects.put(enc.encode('abc'))
    await storage.corruptForTest(id)
    expect(await readFile(objectPath(id))).toEqual(Buffer.from([0x61, 0x62 ^ 0xff, 0x63]))
    expect(await log()).toBe(`${id} 3\n${id} 3\n`)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })
})

describe('config', () => {
  it('opens at an absolute location and reads no config before one is created', async () => {
    const rel = relative(process.cwd(), root)
    expect(openLocalStorage(rel).location).toBe(resolve(root))
    expect(storage.location).toBe(root)
    expect(await storage.readConfig()).toBeUndefined()
    expect(await storage.objects.localRoot()).toBe(join(root, 'objects'))
  })

  it('creates config.json once, leaving tmp/ empty; a second create is CONFLICT with a hint', async () => {
    await storage.createConfig(enc.encode('{"v":1}'))
    expect(await readFile(join(root, 'config.json'), 'utf8')).toBe('{"v":1}')
    expect(await readdir(join(root, 'tmp'))).toEqual([])
    expect((await stat(join(root, 'config.json'))).mode & 0o777).toBe(0o444)
    const err = await catchDvError(() => storage.createConfig(enc.encode('{"v":2}')))
    expect(err.code).toBe('CONFLICT')
    expect(err.retryable).toBe(false)
    expect(err.message).toBe(`a repository already exists at ${root}`)
    expect(err.hint).toBe('open the existing repository, or pick another directory')
    expect(err.details).toEqual({ path: join(root, 'config.json') })
    expect(await readdir(join(root, 'tmp'))).toEqual([])
    expect(await storage.readConfig()).toEqual(enc.encode('{"v":1}'))
  })

  it('a config.json that is not a file is STORAGE; a root that is a file reads as no config', async () => {
    await mkdir(join(root, 'config.json'), { recursive: true })
    const err = await catchDvError(() => storage.readConfig())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe(`cannot read ${join(root, 'config.json')}: EISDIR`)
    const file = join(dir, 'plain-file')
    await writeFile(file, '')
    expect(await openLocalStorage(file).readConfig()).toBeUndefined()
  })

  it('a tmp/ that cannot be made fails the create as STORAGE and writes no config', async () => {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'tmp'), 'a file')
    const err = await catchDvError(() => storage.createConfig(enc.encode('{}')))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toMatch(new RegExp(`^cannot write ${join(root, 'tmp')}/config\\.[0-9a-f]{8}\\.\\d+\\.(\\d+|x)\\.[0-9a-z-]+: EEXIST$`))
    expect(await exists(join(root, 'config.json'))).toBe(false)
  })

  it('creates the repository directory and tmp/ when neither exists', async () => {
    const deep = join(dir, 'a', 'b', '.dv')
    const s = openLocalStorage(deep)
    await s.createConfig(enc.encode('{}'))
    expect((await readdir(deep)).sort()).toEqual(['config.json', 'tmp'])
  })
})
