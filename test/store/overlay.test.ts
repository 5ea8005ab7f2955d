/** The overlay storage: writes stay in memory, reads fall through, refs and the inner store never change. */
import { describe, expect, it } from 'vitest'
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
})
