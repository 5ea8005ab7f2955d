/**
 * Refs on a local disk (src/store/local-refs.ts) beyond the conformance
 * suite: listings by partial prefix, the locks a crashed writer leaves,
 * deletes and the directories they prune, nesting refusals with their exact
 * messages, and damaged ref files.
 */
import { createHash } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { type LocalStorage } from '../../src/store/local.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { freshLocalStore } from './local-fixture.js'

const snap = (label: string) => createHash('sha256').update(label).digest('hex') as SnapshotId

let root: string
let storage: LocalStorage

freshLocalStore('dv-local-refs-', (store) => ({ root, storage } = store))

const refPath = (...parts: string[]) => join(root, 'refs', ...parts)
const exists = (path: string) => lstat(path).then(() => true, () => false)
const names = async (prefix: string) => (await storage.refs.list(prefix)).map((r) => r.name)

describe('listing refs', () => {
  it('matches a prefix that ends inside a name, and lists every namespace for the empty prefix', async () => {
    for (const name of ['branches/main', 'branches/maple', 'branches/x', 'branches/ma/nested', 'tags/main', 'tags/v1']) {
      await storage.refs.compareAndSwap(name, null, snap(name))
    }
    expect(await names('branches/ma')).toEqual(['branches/ma/nested', 'branches/main', 'branches/maple'])
    expect(await names('branches/ma/')).toEqual(['branches/ma/nested'])
    expect(await names('tags/')).toEqual(['tags/main', 'tags/v1'])
    expect(await names('t')).toEqual(['tags/main', 'tags/v1'])
    expect(await names('')).toEqual(['branches/ma/nested', 'branches/main', 'branches/maple', 'branches/x', 'tags/main', 'tags/v1'])
    expect(await storage.refs.list('branches/main')).toEqual([{ name: 'branches/main', value: { snapshot: snap('branches/main'), version: snap('branches/main') } }])
  })

  it('lists nothing under a prefix whose directory is missing or is a ref file', async () => {
    expect(await storage.refs.list('')).toEqual([])
    await storage.refs.compareAndSwap('branches/main', null, snap('m'))
    expect(await storage.refs.list('branches/main/')).toEqual([])
    expect(await storage.refs.list('tags/')).toEqual([])
  })

  it('skips names that are not valid refs, at any depth', async () => {
    await storage.refs.compareAndSwap('branches/a/b', null, snap('ab'))
    await writeFile(refPath('branches', 'a', '.hidden'), `${snap('h')}\n`)
    await writeFile(refPath('branches', 'a', 'b.lock'), '')
    await mkdir(refPath('branches', 'bad name'))
    await writeFile(refPath('branches', 'bad name', 'x'), `${snap('x')}\n`)
    expect(await names('')).toEqual(['branches/a/b'])
  })

  it('refuses an invalid prefix and an invalid name as INVALID_ARGUMENT', async () => {
    const prefix = await catchDvError(() => storage.refs.list('branches/../'))
    expect(prefix.code).toBe('INVALID_ARGUMENT')
    expect(prefix.message).toBe("invalid ref prefix 'branches/../'")
    const name = await catchDvError(() => storage.refs.get('branches/x.lock'))
    expect(name.code).toBe('INVALID_ARGUMENT')
    expect(name.message).toBe("invalid ref 'branches/x.lock': component 'x.lock' ends with '.lock'")
  })

  it('reads a directory in place of a ref as absent', async () => {
    await storage.refs.compareAndSwap('branches/a/b', null, snap('ab'))
    expect(await storage.refs.get('branches/a')).toBeUndefined()
    expect(await storage.refs.get('branches/a/b')).toEqual({ snapshot: snap('ab'), version: snap('ab') })
  })
})

describe('locks', () => {
  it('listLocks names every lock file with its ref, path and mtime, nested ones included', async () => {
    await storage.refs.compareAndSwap('branches/a/b', null, snap('ab'))
    await storage.refs.compareAndSwap('tags/v1', null, snap('v1'))
    expect(await storage.refs.listLocks()).toEqual([])
    const when = new Date(Date.parse('2026-11-30T12:00:00Z'))
    await writeFile(refPath('branches', 'a', 'b.lock'), '')
    await utimes(refPath('branches', 'a', 'b.lock'), when, when)
    await writeFile(refPath('tags', 'v2.lock'), 'partial')
    const v2Time = (await lstat(refPath('tags', 'v2.lock'))).mtimeMs
    await writeFile(refPath('tags', 'stray'), '')
    const locks = await storage.refs.listLocks()
    expect([...locks].sort((x, y) => (x.ref < y.ref ? -1 : 1))).toEqual([
      { ref: 'branches/a/b', path: refPath('branches', 'a', 'b.lock'), modifiedMs: when.getTime() },
      { ref: 'tags/v2', path: refPath('tags', 'v2.lock'), modifiedMs: v2Time },
    ])
  })

  it('listLocks of a store without refs/ is empty', async () => {
    expect(await storage.refs.listLocks()).toEqual([])
  })

  it('an update leaves no lock behind, and the ref file holds the id and a newline', async () => {
    expect(await storage.refs.compareAndSwap('branches/main', null, snap('a'))).toEqual({ snapshot: snap('a'), version: snap('a') })
    expect(await storage.refs.compareAndSwap('branches/main', snap('a'), snap('b'))).toEqual({ snapshot: snap('b'), version: snap('b') })
    expect(await readdir(refPath('branches'))).toEqual(['main'])
    expect(await readFile(refPath('branches', 'main'), 'utf8')).toBe(`${snap('b')}\n`)
    expect(await storage.refs.listLocks()).toEqual([])
  })

  it('a refused next value takes no lock and creates nothing', async () => {
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/main', null, 'HEAD' as SnapshotId))
    expect(err.code).toBe('INVALID_ARGUMENT')
    expect(err.message).toBe("cannot set ref 'branches/main' to 'HEAD': expected a 64-hex snapshot id")
    expect(await exists(join(root, 'refs'))).toBe(false)
  })
})

describe('deleting refs', () => {
  it('a stale expectation on delete is CONFLICT naming both values, and the ref stays', async () => {
    await storage.refs.compareAndSwap('branches/main', null, snap('a'))
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/main', snap('b'), null))
    expect(err.code).toBe('CONFLICT')
    expect(err.message).toBe(`ref 'branches/main' changed: expected ${snap('b')}, found ${snap('a')}`)
    expect(err.details).toEqual({ ref: 'branches/main', expected: snap('b'), actual: snap('a') })
    expect(await readdir(refPath('branches'))).toEqual(['main'])
    const absent = await catchDvError(() => storage.refs.compareAndSwap('branches/none', snap('a'), null))
    expect(absent.message).toBe(`ref 'branches/none' changed: expected ${snap('a')}, found absent`)
    expect(await readdir(refPath('branches'))).toEqual(['main'])
  })

  it('deleting an absent ref that is expected absent succeeds and leaves no lock', async () => {
    expect(await storage.refs.compareAndSwap('branches/none', null, null)).toBeUndefined()
    expect(await readdir(join(root, 'refs'))).toEqual(['branches'])
    expect(await readdir(refPath('branches'))).toEqual([])
  })

  it('prunes the directories a delete empties, up to but not including the namespace', async () => {
    await storage.refs.compareAndSwap('branches/a/b/c', null, snap('c'))
    await storage.refs.compareAndSwap('branches/a/d', null, snap('d'))
    expect(await storage.refs.compareAndSwap('branches/a/b/c', snap('c'), null)).toBeUndefined()
    expect(await readdir(refPath('branches'))).toEqual(['a'])
    expect(await readdir(refPath('branches', 'a'))).toEqual(['d'])
    await storage.refs.compareAndSwap('branches/a/d', snap('d'), null)
    expect(await readdir(refPath('branches'))).toEqual([])
    await storage.refs.compareAndSwap('tags/v1', null, snap('v1'))
    await storage.refs.compareAndSwap('tags/v1', snap('v1'), null)
    expect((await readdir(join(root, 'refs'))).sort()).toEqual(['branches', 'tags'])
  })

  it('deleting a name that is a directory of nested refs, expected absent, deletes nothing', async () => {
    await storage.refs.compareAndSwap('branches/a/b', null, snap('ab'))
    expect(await storage.refs.compareAndSwap('branches/a', null, null)).toBeUndefined()
    expect(await storage.refs.get('branches/a/b')).toEqual({ snapshot: snap('ab'), version: snap('ab') })
    expect(await readdir(refPath('branches', 'a'))).toEqual(['b'])
    expect(await readdir(refPath('branches'))).toEqual(['a'])
  })
})

describe('nesting', () => {
  it('creating below a ref names the ref in the way, at any depth', async () => {
    await storage.refs.compareAndSwap('branches/a', null, snap('a'))
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/a/b/c', null, snap('c')))
    expect(err.code).toBe('CONFLICT')
    expect(err.retryable).toBe(false)
    expect(err.message).toBe("ref 'branches/a/b/c' conflicts with existing ref 'branches/a'")
    expect(err.details).toEqual({ ref: 'branches/a/b/c', existing: 'branches/a' })
    expect(await readdir(refPath('branches'))).toEqual(['a'])
  })

  it('creating over a directory of refs names the first nested ref in name order', async () => {
    await storage.refs.compareAndSwap('branches/a/z', null, snap('z'))
    await storage.refs.compareAndSwap('branches/a/b/c', null, snap('c'))
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/a', null, snap('a')))
    expect(err.message).toBe("ref 'branches/a' conflicts with existing ref 'branches/a/b/c'")
    expect(await readdir(refPath('branches'))).toEqual(['a'])
    expect((await readdir(refPath('branches', 'a'))).sort()).toEqual(['b', 'z'])
  })

  it('a directory holding only a leftover lock is not removed: the lock is in the way', async () => {
    await mkdir(refPath('branches', 'a'), { recursive: true })
    await writeFile(refPath('branches', 'a', 'x.lock'), '')
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/a', null, snap('a')))
    expect(err.code).toBe('CONFLICT')
    expect(err.retryable).toBe(false)
    expect(err.message).toBe(`ref 'branches/a' cannot be created: ${refPath('branches', 'a', 'x.lock')} locks ref 'branches/a/x', which would be nested in it`)
    expect(err.hint).toContain(`remove ${refPath('branches', 'a', 'x.lock')}`)
    expect(err.details).toEqual({ ref: 'branches/a', lockedRef: 'branches/a/x', lock: refPath('branches', 'a', 'x.lock') })
    expect(await readdir(refPath('branches', 'a'))).toEqual(['x.lock'])
  })

  it('of several nested locks, the first in name order is named', async () => {
    // a directory's listing comes sorted, but a walk of it does not: 'a/x.lock' is walked before 'a-b.lock',
    // which sorts first ('-' comes before '/')
    await mkdir(refPath('branches', 'a', 'a'), { recursive: true })
    for (const lock of ['z.lock', 'a/x.lock', 'a-b.lock']) await writeFile(refPath('branches', 'a', ...lock.split('/')), '')
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/a', null, snap('a')))
    expect(err.details).toEqual({ ref: 'branches/a', lockedRef: 'branches/a/a-b', lock: refPath('branches', 'a', 'a-b.lock') })
  })

  it('a nested ref is named before a nested lock, whatever their order', async () => {
    await mkdir(refPath('branches', 'a', 'b'), { recursive: true })
    await writeFile(refPath('branches', 'a', 'b', 'a.lock'), '')
    await storage.refs.compareAndSwap('branches/a/z', null, snap('z'))
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/a', null, snap('a')))
    expect(err.message).toBe("ref 'branches/a' conflicts with existing ref 'branches/a/z'")
  })

  it('removes a tree of empty directories in the place of a ref being created', async () => {
    await mkdir(refPath('branches', 'a', 'b', 'c'), { recursive: true })
    await mkdir(refPath('branches', 'a', 'd'), { recursive: true })
    expect(await storage.refs.compareAndSwap('branches/a', null, snap('a'))).toEqual({ snapshot: snap('a'), version: snap('a') })
    expect((await stat(refPath('branches', 'a'))).isFile()).toBe(true)
    expect(await readdir(refPath('branches'))).toEqual(['a'])
  })

  it('updating a ref whose place is an empty leftover directory, expecting a value, is CONFLICT (found absent)', async () => {
    await mkdir(refPath('branches', 'a', 'b'), { recursive: true })
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/a', snap('x'), snap('y')))
    expect(err.message).toBe(`ref 'branches/a' changed: expected ${snap('x')}, found absent`)
    // the leftover is removed on the way (as for a create); no ref and no lock remain
    expect(await readdir(refPath('branches'))).toEqual([])
  })

  it('refs/ that is not a directory is STORAGE saying a parent is not a directory', async () => {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'refs'), 'not a directory')
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/main', null, snap('m')))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toBe("cannot create ref 'branches/main': a parent directory is not a directory")
    expect(err.details).toEqual({ ref: 'branches/main' })
  })
})

describe('damaged ref files', () => {
  it('CORRUPT shows the content found, cut at 80 characters, and says how to repair it', async () => {
    const path = refPath('branches', 'main')
    await mkdir(refPath('branches'), { recursive: true })
    await writeFile(path, 'y'.repeat(100))
    const err = await catchDvError(() => storage.refs.get('branches/main'))
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toBe(`ref file ${path} is corrupt: expected a 64-hex snapshot id and a newline, found "${'y'.repeat(80)}..."`)
    expect(err.hint).toBe(`repair ${path}: write into it the 64-hex id of the snapshot it should name and a newline (\`dv log\` of another branch and \`dv fsck\` help find it), or delete the file to drop the ref; \`dv fsck\` then checks the repository`)
    expect(err.details).toEqual({ path })
    await writeFile(path, 'z'.repeat(80))
    expect((await catchDvError(() => storage.refs.get('branches/main'))).message).toContain(`found "${'z'.repeat(80)}"`)
    await writeFile(path, 'two\nlines\n')
    expect((await catchDvError(() => storage.refs.get('branches/main'))).message).toContain('found "two\\nlines\\n"')
  })

  it('a damaged ref can still be deleted only by hand: a delete expecting a value reads it as CORRUPT and keeps it', async () => {
    const path = refPath('branches', 'main')
    await mkdir(refPath('branches'), { recursive: true })
    await writeFile(path, 'garbage')
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/main', snap('a'), null))
    expect(err.code).toBe('CORRUPT')
    expect(await readdir(refPath('branches'))).toEqual(['main'])
  })
})
