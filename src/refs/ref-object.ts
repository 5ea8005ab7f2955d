/**
 * A ref that names one immutable metadata object rather than a snapshot (the
 * repository's `settings`, the `expiry` record): read the ref, then the object,
 * parsed once per process by id (objects never change, so a cache by id is
 * always right; the ref is read every time).
 */
import type { ObjectId } from '../ids.js'
import type { RefValue, Storage } from '../store/types.js'

export interface RefObjectReader<T> {
  (storage: Pick<Storage, 'refs' | 'objects'>): Promise<{ ref: RefValue | null; value: T | null }>
}

/** A reader of `ref`'s object, parsed by `parse` (which names it `what ID` in its errors). */
export function refObjectReader<T>(ref: string, what: string, parse: (bytes: Uint8Array, context: string) => T): RefObjectReader<T> {
  const parsed = new Map<string, T>()
  return async (storage) => {
    const value = await storage.refs.get(ref)
    if (!value) return { ref: null, value: null }
    const id = value.snapshot as string as ObjectId
    let object = parsed.get(id)
    if (object === undefined) {
      object = parse(await storage.objects.get(id), `${what} ${id}`)
      parsed.set(id, object)
    }
    return { ref: value, value: object }
  }
}
