/** The overlay storage: writes stay in memory, reads fall through, refs and the inner store never change. */
import { describe, expect, it } from 'vitest'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { createMemoryStorage } from '../../src/store/index.js'
import { overlayStorage } from '../../src/store/overlay.js'

const bytes = (text: string) => new TextEncoder().encode(text)

describe('overlayStorage', () => {
  it('keeps its writes to itself and reads the inner store through', async () => {
    const inner = createMemoryStorage()
    const old = await inner.objects.put(bytes('old'))
    const overlay = overlayStorage(inner)
    const fresh = await overlay.objects.put(bytes('fresh'))
    expect(new TextDecoder().decode(await overlay.objects.get(fresh))).toBe('fresh')
    expect(new TextDecoder().decode(await overlay.objects.get(old))).toBe('old')
    expect(await overlay.objects.has(fresh)).toBe(true)
    expect(await inner.objects.has(fresh)).toBe(false)
    expect(await overlay.objects.size(fresh)).toBe(5)
    const listed: string[] = []
    for await (const id of overlay.objects.list()) listed.push(id)
    expect(listed.sort()).toEqual([old, fresh].sort())
  })

  it('refuses to move refs, store files or delete anything', async () => {
    const inner = createMemoryStorage()
    const overlay = overlayStorage(inner)
    const id = await overlay.objects.put(bytes('x'))
    await expect(overlay.refs.compareAndSwap('branches/main', null, id as never)).rejects.toMatchObject({ code: 'INTERNAL' })
    await expect(overlay.objects.putFile('/etc/hostname')).rejects.toMatchObject({ code: 'INTERNAL' })
    await expect(overlay.objects.delete(id)).rejects.toMatchObject({ code: 'INTERNAL' })
    expect(await inner.refs.list('')).toEqual([])
  })

  it('with filesDir, keeps data files there by id (copied, or taken over) and reads them from there; the inner store gets none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dv-overlay-'))
    try {
      const inner = createMemoryStorage()
      const overlay = overlayStorage(inner, { filesDir: join(dir, 'files') })
      const [a, b] = [join(dir, 'a.parquet'), join(dir, 'b.parquet')]
      await writeFile(a, 'aaa')
      await writeFile(b, 'bbbb')
      const sha = (t: string) => createHash('sha256').update(t).digest('hex')
      expect(await overlay.objects.putFile(a)).toEqual({ id: sha('aaa'), bytes: 3 })
      expect(await overlay.objects.adoptFile!(b)).toEqual({ id: sha('bbbb'), bytes: 4 })
      // putFile copies, adoptFile takes the file over
      expect((await readdir(dir)).sort()).toEqual(['a.parquet', 'files'])
      expect(await readFile(await overlay.objects.localPath(sha('bbbb') as never), 'utf8')).toBe('bbbb')
      expect(await overlay.objects.has(sha('aaa') as never)).toBe(true)
      expect(await overlay.objects.size(sha('aaa') as never)).toBe(3)
      expect(await inner.objects.has(sha('aaa') as never)).toBe(false)
      await expect(overlay.objects.putFile(a, sha('x') as never)).rejects.toMatchObject({ code: 'CORRUPT' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
