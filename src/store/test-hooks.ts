/**
 * Hooks that let tests damage a store the way a disk or a crash would. Every
 * backend of this package implements them; wrappers forward them.
 */
import type { ObjectId } from '../ids.js'
import type { Storage } from './types.js'

export interface StorageTestHooks {
  /** Flips one byte of a stored object (an empty object gets one byte). */
  corruptForTest(id: ObjectId): Promise<void>
  /** Stores arbitrary bytes under `id`, bypassing hashing (a torn or rotten object). */
  writeRawForTest(id: ObjectId, bytes: Uint8Array): Promise<void>
}

export function getTestHooks(storage: Storage): StorageTestHooks | undefined {
  const s = storage as Partial<StorageTestHooks>
  if (typeof s.corruptForTest === 'function' && typeof s.writeRawForTest === 'function') {
    return { corruptForTest: s.corruptForTest.bind(storage), writeRawForTest: s.writeRawForTest.bind(storage) }
  }
  return undefined
}

export function flipByte(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return Uint8Array.of(0x2a)
  const out = Uint8Array.from(bytes)
  const at = Math.floor(out.length / 2)
  out[at] = out[at]! ^ 0xff
  return out
}
