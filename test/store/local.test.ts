import { createHash } from 'node:crypto'
import { mkdir, open, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { openLocalStorage, type LocalStorage } from '../../src/store/local.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { freshLocalStore } from './local-fixture.js'

const enc = new TextEncoder()
const snap = (label: string) => createHash('sha256').update(label).digest('hex') as SnapshotId

let dir: string
let root: string
let storage: LocalStorage

freshLocalStore('dv-local-test-', (store) => ({ dir, root, storage } = store))

describe('local storage layout', () => {
  it('stores objects under objects/<2 hex>/<64 hex> as read-only files and leaves no temp files', async () => {
    const id = await storage.objects.put(enc.encode('layout'))
    const path = join(root, 'objects', id.slice(0, 2), id)
    expect(await readFile(path, 'utf8')).toBe('layout')
    expect((await stat(path)).mode & 0o777).toBe(0o444)
    expect(await storage.objects.localPath(id)).toBe(path)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('writes refs as `<id>\\n` under refs/, creating directories for names with /', async () => {
    await storage.refs.compareAndSwap('branches/feature/backfill', null, snap('s1'))
    await storage.refs.compareAndSwap('tags/v1', null, snap('s2'))
    expect(await readFile(join(root, 'refs', 'branches', 'feature', 'backfill'), 'utf8')).toBe(`${snap('s1')}\n`)
    expect(await readFile(join(root, 'refs', 'tags', 'v1'), 'utf8')).toBe(`${snap('s2')}\n`)
  })

  it('writes config.json, creating the .dv directory', async () => {
    await storage.createConfig(enc.encode('{"format":1}'))
    expect(await readFile(join(root, 'config.json'), 'utf8')).toBe('{"format":1}')
    const err = await catchDvError(() => openLocalStorage(root).createConfig(enc.encode('{}')))
    expect(err.code).toBe('CONFLICT')
    expect(err.message).toContain(root)
  })
})

describe('adopting a file the caller is still checking (adoptFile with ready)', () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex')
  const objectPath = (id: string) => join(root, 'objects', id.slice(0, 2), id)
  const exists = (path: string) => stat(path).then(() => true, () => false)
  /** A check that failed, as publishFiles passes it: observed by the caller too. */
  function failed(reason: Error): Promise<never> {
    const ready = Promise.reject(reason)
    ready.catch(() => undefined)
    return ready
  }
  async function temporary(text: string): Promise<string> {
    await mkdir(join(dir, 'out'), { recursive: true })
    const path = join(dir, 'out', `${text}.parquet`)
    await writeFile(path, text)
    return path
  }

  it('stores nothing before the check passes, then the object', async () => {
    const path = await temporary('checked')
    let pass!: () => void
    const ready = new Promise<void>((resolve) => { pass = resolve })
    const adopted = storage.objects.adoptFile(path, { ready })
    // long enough to hash, chmod and fsync a small file
    await new Promise((r) => setTimeout(r, 200))
    expect(await exists(objectPath(sha('checked')))).toBe(false)
    expect(await storage.objects.has(sha('checked') as SnapshotId)).toBe(false)
    pass()
    expect(await adopted).toEqual({ id: sha('checked'), bytes: 7 })
    expect(await readFile(objectPath(sha('checked')), 'utf8')).toBe('checked')
    expect(await exists(path)).toBe(false)
  })

  it('stores nothing and removes the file when the check fails, throwing its reason', async () => {
    const path = await temporary('refused')
    const reason = new Error('read back failed')
    const err = await storage.objects.adoptFile(path, { ready: failed(reason) }).then(() => undefined, (e: unknown) => e)
    expect(err).toBe(reason)
    expect(await exists(objectPath(sha('refused')))).toBe(false)
    expect(await exists(path)).toBe(false)
    expect(await readdir(join(root, 'objects')).catch(() => [])).toEqual([])
  })

  it('an object already stored is not reported stored when the check fails', async () => {
    const id = await storage.objects.put(enc.encode('again'))
    await storage.objects.localPath(id) // verified: the fast path that only freshens
    const path = await temporary('again')
    const reason = new Error('read back failed')
    const err = await storage.objects.adoptFile(path, { ready: failed(reason) }).then(() => undefined, (e: unknown) => e)
    expect(err).toBe(reason)
    expect(await exists(path)).toBe(false)
    expect(await readFile(objectPath(id), 'utf8')).toBe('again')
  })
})

describe('directories removed behind a running process', () => {
  it('an object directory and the gc log directory it knew are made again, and the next put lands', async () => {
    const first = await storage.objects.put(enc.encode('first'))
    // a second object in the same two-hex directory: found by trying
    let second = ''
    let text = ''
    for (let i = 0; second.slice(0, 2) !== first.slice(0, 2); i++) {
      text = `second ${i}`
      second = createHash('sha256').update(text).digest('hex')
    }
    await rm(join(root, 'objects', first.slice(0, 2)), { recursive: true })
    await rm(join(root, 'gc', 'log'), { recursive: true })
    expect(await storage.objects.put(enc.encode(text))).toBe(second)
    expect(await readFile(join(root, 'objects', second.slice(0, 2), second), 'utf8')).toBe(text)
    expect(await readFile(join(root, 'gc', 'log', 'objects'), 'utf8')).toContain(second)
  })
})

describe('local objects on a damaged disk', () => {
  it('detects a byte flipped in place, names the id and the file, and a re-put repairs it', async () => {
    const bytes = enc.encode('x'.repeat(4096))
    const id = await storage.objects.put(bytes)
    const path = join(root, 'objects', id.slice(0, 2), id)
    await storage.objects.localPath(id) // verified and cached
    const handle = await open(path, 'r+')
    await handle.write(Buffer.from('y'), 0, 1, 100)
    await handle.close()

    const err = await catchDvError(() => storage.objects.get(id))
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toContain(id)
    expect(err.message).toContain(path)
    expect(err.hint).toContain('dv fsck')
    expect((await catchDvError(() => storage.objects.localPath(id))).code).toBe('CORRUPT')

    expect(await storage.objects.put(bytes)).toBe(id)
    expect(await storage.objects.get(id)).toEqual(bytes)
    expect((await stat(path)).mode & 0o777).toBe(0o444)
    expect(await readdir(join(root, 'tmp'))).toEqual([])
  })

  it('detects a truncated (0-byte) object', async () => {
    const id = await storage.objects.put(enc.encode('will be truncated'))
    await writeFile(join(root, 'objects', id.slice(0, 2), id), '')
    expect((await catchDvError(() => storage.objects.get(id))).code).toBe('CORRUPT')
  })

  it('ignores leftover temp files and stray names when listing', async () => {
    const id = await storage.objects.put(enc.encode('listed'))
    await writeFile(join(root, 'tmp', 'obj-leftover'), 'partial')
    await writeFile(join(root, 'objects', id.slice(0, 2), 'not-an-id'), '')
    await mkdir(join(root, 'objects', 'zz'))
    const listed: string[] = []
    for await (const x of storage.objects.list()) listed.push(x)
    expect(listed).toEqual([id])
  })

  it('turns OS errors into STORAGE naming the path', async () => {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'objects'), 'a file where a directory should be')
    const err = await catchDvError(() => storage.objects.put(enc.encode('nowhere to go')))
    expect(err.code).toBe('STORAGE')
    expect(err.message).toContain(join(root, 'objects'))
  })
})

describe('local refs', () => {
  it('reports a stale lock as CONFLICT naming the lock with a hint, and never removes it', async () => {
    await storage.refs.compareAndSwap('branches/main', null, snap('a'))
    const lock = join(root, 'refs', 'branches', 'main.lock')
    await writeFile(lock, '')
    const started = Date.now()
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/main', snap('a'), snap('b')))
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(err.code).toBe('CONFLICT')
    expect(err.retryable).toBe(false) // reported at once: a commit does not retry it as a moved branch
    expect(err.message).toContain(lock)
    expect(err.hint).toBe(`another dv process is updating this ref; if none is running, remove ${lock}`)
    expect((await stat(lock)).isFile()).toBe(true)
    expect((await storage.refs.get('branches/main'))?.snapshot).toBe(snap('a'))
    expect((await storage.refs.list('branches/')).map((r) => r.name)).toEqual(['branches/main'])

    await unlink(lock)
    expect(await storage.refs.compareAndSwap('branches/main', snap('a'), snap('b'))).toMatchObject({ snapshot: snap('b') })
  })

  it('waits for a lock held briefly by another writer', async () => {
    await mkdir(join(root, 'refs', 'branches'), { recursive: true })
    const lock = join(root, 'refs', 'branches', 'main.lock')
    await writeFile(lock, '')
    setTimeout(() => void unlink(lock), 100)
    expect(await storage.refs.compareAndSwap('branches/main', null, snap('a'))).toMatchObject({ snapshot: snap('a') })
  })

  it('removes its lock after a failed expectation and after a delete', async () => {
    await storage.refs.compareAndSwap('branches/main', null, snap('a'))
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/main', snap('zzz'), snap('b')))
    expect(err.code).toBe('CONFLICT')
    expect(await readdir(join(root, 'refs', 'branches'))).toEqual(['main'])
    await storage.refs.compareAndSwap('branches/main', snap('a'), null)
    expect(await readdir(join(root, 'refs', 'branches'))).toEqual([])
  })

  it('reports a ref file that does not hold a snapshot id as CORRUPT naming the file', async () => {
    const path = join(root, 'refs', 'branches', 'main')
    await mkdir(join(root, 'refs', 'branches'), { recursive: true })
    for (const content of ['', 'garbage\n', `${snap('a')}`, `${snap('a').toUpperCase()}\n`]) {
      await writeFile(path, content)
      const err = await catchDvError(() => storage.refs.get('branches/main'))
      expect(err.code, JSON.stringify(content)).toBe('CORRUPT')
      expect(err.message).toContain(path)
      expect((await catchDvError(() => storage.refs.list('branches/'))).code).toBe('CORRUPT')
      expect((await catchDvError(() => storage.refs.compareAndSwap('branches/main', null, snap('b')))).code).toBe('CORRUPT')
      expect(await readdir(join(root, 'refs', 'branches'))).toEqual(['main'])
    }
  })

  it('refuses a ref nested under another (like git) and prunes empty directories on delete', async () => {
    await storage.refs.compareAndSwap('branches/a', null, snap('a'))
    const below = await catchDvError(() => storage.refs.compareAndSwap('branches/a/b', null, snap('b')))
    expect(below.code).toBe('CONFLICT')
    expect(below.retryable).toBe(false)
    expect(below.message).toContain("'branches/a'")
    await storage.refs.compareAndSwap('branches/a', snap('a'), null)

    await storage.refs.compareAndSwap('branches/a/b/c', null, snap('c'))
    const above = await catchDvError(() => storage.refs.compareAndSwap('branches/a', null, snap('a')))
    expect(above.code).toBe('CONFLICT')
    expect(above.message).toContain('branches/a/b/c')
    await storage.refs.compareAndSwap('branches/a/b/c', snap('c'), null)
    expect(await readdir(join(root, 'refs', 'branches'))).toEqual([])
    expect(await storage.refs.compareAndSwap('branches/a', null, snap('a'))).toMatchObject({ snapshot: snap('a') })
  })

  it('removes an empty leftover directory in place of a ref being created', async () => {
    await mkdir(join(root, 'refs', 'branches', 'x', 'y'), { recursive: true })
    expect(await storage.refs.compareAndSwap('branches/x', null, snap('x'))).toMatchObject({ snapshot: snap('x') })
    expect(await readFile(join(root, 'refs', 'branches', 'x'), 'utf8')).toBe(`${snap('x')}\n`)
  })

  it('lists refs ignoring lock files and stray files', async () => {
    await storage.refs.compareAndSwap('branches/main', null, snap('a'))
    await writeFile(join(root, 'refs', 'branches', 'other.lock'), '')
    await writeFile(join(root, 'refs', 'branches', '.DS_Store'), '')
    expect((await storage.refs.list('branches/')).map((r) => r.name)).toEqual(['branches/main'])
  })
})
