/**
 * What gc knows the store holds, and which of it may go
 * (format-spec/gc.md#inventory-and-generation-log): the listing of the
 * store on a first run (or when asked), otherwise the inventory the last gc
 * wrote plus the generation log's sealed segments, looking up the time of
 * only the objects that are not live.
 */
import type { ObjectId } from '../ids.js'
import type { ObjectStore, TimedObject } from '../store/types.js'

export interface StoredObjects {
  /** Where the list of stored objects came from. */
  source: 'listing' | 'inventory'
  /** The generation log's segments read (dropped once the new inventory is written). */
  segments: string[]
  /** Lines read from those segments. */
  logged: number
  /** Every object known to be stored, with its size. */
  known: Map<ObjectId, number>
  /** Not live and older than the cutoff, sorted by id. */
  candidates: TimedObject[]
  /** Not live, but younger than the cutoff: kept. */
  young: { objects: number; bytes: number }
}

export async function findStored(
  objects: ObjectStore, live: ReadonlySet<string>, cutoffMs: number, options: { listAll: boolean; dryRun: boolean },
): Promise<StoredObjects> {
  const inventory = objects.inventory
  const previous = inventory && !options.listAll ? await inventory.read() : undefined
  // sealed before a listing starts: each sealed line names an object stored before it, so listed
  const segments = inventory ? await inventory.seal(options.dryRun) : []
  const young = { objects: 0, bytes: 0 }
  const candidates: TimedObject[] = []
  const known = new Map<ObjectId, number>()
  const sort = (): void => void candidates.sort((a, b) => (a.id < b.id ? -1 : 1))
  const judge = (o: TimedObject): void => {
    if (o.modifiedMs < cutoffMs) candidates.push(o)
    else {
      young.objects++
      young.bytes += o.bytes
    }
  }

  if (previous === undefined || inventory === undefined) {
    for await (const o of objects.listTimed!()) {
      known.set(o.id, o.bytes)
      if (!live.has(o.id)) judge(o)
    }
    sort()
    return { source: 'listing', segments, logged: 0, known, candidates, young }
  }

  for (const e of previous) known.set(e.id, e.bytes)
  let logged = 0
  for (const name of segments) {
    for (const e of await inventory.readSegment(name)) {
      known.set(e.id, e.bytes)
      logged++
    }
  }
  const unreached = [...known.keys()].filter((id) => !live.has(id))
  const times = await inventory.timesOf(unreached)
  unreached.forEach((id, i) => {
    const t = times[i]
    if (t === undefined) known.delete(id)
    else {
      known.set(id, t.bytes)
      judge(t)
    }
  })
  sort()
  return { source: 'inventory', segments, logged, known, candidates, young }
}
