import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openStorage } from '../../src/store/open.js'
import { catchDvError } from '../conformance/storage-conformance.js'

describe('openStorage', () => {
  it("opens a fresh memory store for 'memory:'", async () => {
    const a = await openStorage('memory:')
    const b = await openStorage('memory:')
    expect(a.location).toBe('memory')
    const id = await a.objects.put(new TextEncoder().encode('only in a'))
    expect(await b.objects.has(id)).toBe(false)
  })

  it('opens a local store for a path or a file: URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dv-open-'))
    try {
      const root = join(dir, '.dv')
      const byPath = await openStorage(root)
      expect(byPath.location).toBe(root)
      const id = await byPath.objects.put(new TextEncoder().encode('on disk'))
      const byUrl = await openStorage(pathToFileURL(root).href)
      expect(new TextDecoder().decode(await byUrl.objects.get(id))).toBe('on disk')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('routes s3:// to the S3 backend and reports unknown schemes as INVALID_ARGUMENT', async () => {
    expect((await openStorage('s3://bucket/prefix')).location).toBe('s3://bucket/prefix')
    expect((await catchDvError(() => openStorage('gs://bucket/prefix'))).code).toBe('INVALID_ARGUMENT')
    expect((await catchDvError(() => openStorage(''))).code).toBe('INVALID_ARGUMENT')
  })
})
