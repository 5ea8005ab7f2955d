/**
 * The inventory and generation log of a memory store, with the same meaning
 * as on disk (format-spec/gc.md#inventory-and-generation-log): an open log
 * every stored object adds a line to, sealed segments, and the inventory.
 */
import type { ObjectId } from '../ids.js'
import { formatInventory, parseInventory, type InventoryEntry, type ObjectInventory } from './inventory.js'
import type { TimedObject } from './types.js'

export class MemoryInventory implements ObjectInventory {
  private open: InventoryEntry[] = []
  private readonly sealed = new Map<string, InventoryEntry[]>()
  private inventory: string | undefined
  private sealedCount = 0

  constructor(private readonly timeOf: (id: ObjectId) => TimedObject | undefined) {}

  record(id: ObjectId, bytes: number): void {
    this.open.push({ id, bytes })
  }

  async read(): Promise<InventoryEntry[] | undefined> {
    return this.inventory === undefined ? undefined : parseInventory(this.inventory, 'memory:gc/inventory')
  }

  async write(entries: readonly InventoryEntry[]): Promise<void> {
    this.inventory = formatInventory(entries)
  }

  async seal(dryRun: boolean): Promise<string[]> {
    if (dryRun) return [...this.sealed.keys(), 'log/open']
    if (this.open.length > 0) this.sealed.set(`sealed/${++this.sealedCount}`, this.open)
    this.open = []
    return [...this.sealed.keys()]
  }

  async readSegment(name: string): Promise<InventoryEntry[]> {
    return [...(name === 'log/open' ? this.open : this.sealed.get(name) ?? [])]
  }

  async dropSegments(names: readonly string[]): Promise<void> {
    for (const name of names) this.sealed.delete(name)
  }

  async timesOf(ids: readonly ObjectId[]): Promise<Array<TimedObject | undefined>> {
    return ids.map((id) => this.timeOf(id))
  }
}
