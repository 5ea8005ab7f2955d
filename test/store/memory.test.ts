import { readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '../../src/store/memory.js'
import { catchDvError } from '../conformance/storage-conformance.js'

describe('memory storage', () => {
  it('copies localPath files into one temp dir, once, and removes it on close', async () => {
    const storage = createMemoryStorage()
    const id = await storage.objects.put(new TextEncoder().encode('for duckdb'))
    const path = await storage.objects.localPath(id)
    expect(path.startsWith(tmpdir())).toBe(true)
    expect(path).toMatch(/dv-mem-[^/]+\/[0-9a-f]{64}$/)
    expect(await readFile(path, 'utf8')).toBe('for duckdb')
    const [again] = await Promise.all([storage.objects.localPath(id), storage.objects.localPath(id)])
    expect(again).toBe(path)
    await storage.close()
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('does not hand out a local path for a corrupted object', async () => {
    const storage = createMemoryStorage()
    const id = await storage.objects.put(new TextEncoder().encode('rotting'))
    await storage.corruptForTest(id)
    const err = await catchDvError(() => storage.objects.localPath(id))
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toContain(id)
    await storage.close()
  })
})
