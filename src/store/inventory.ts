/**
 * What gc knows of the objects a store holds without listing it
 * (format-spec/gc.md#inventory-and-generation-log): the inventory the last
 * gc wrote, and the generation log every writer adds a line to for each
 * object it stores. Both only narrow gc's candidates: a line missing from
 * them keeps an object forever (a leak), never deletes one.
 */
import { DvError } from '../errors.js'
import { isObjectId, type ObjectId } from '../ids.js'
import type { TimedObject } from './types.js'

/** An object and its size, one line of the inventory or the generation log. */
export interface InventoryEntry {
  id: ObjectId
  bytes: number
}

export interface ObjectInventory {
  /** The inventory the last gc wrote; undefined before the first one. CORRUPT when it does not parse. */
  read(): Promise<InventoryEntry[] | undefined>
  /** Replaces the inventory; durable when the promise resolves. */
  write(entries: readonly InventoryEntry[]): Promise<void>
  /**
   * Closes the log's segments to new lines (local: renames them aside) and
   * names them, with any a dead gc sealed; a dry run only names them.
   */
  seal(dryRun: boolean): Promise<string[]>
  /** The lines of one sealed segment (a line that does not parse, torn by a crash, is skipped). */
  readSegment(name: string): Promise<InventoryEntry[]>
  /** Deletes sealed segments whose lines the inventory now holds. */
  dropSegments(names: readonly string[]): Promise<void>
  /** Each object's recorded time and size now, undefined when absent. */
  timesOf(ids: readonly ObjectId[]): Promise<Array<TimedObject | undefined>>
}

export const INVENTORY_HEADER = 'dv-inventory 1'

export function logLine(id: ObjectId, bytes: number): string {
  return `${id} ${bytes}\n`
}

/** The lines of a log segment; torn or foreign lines are skipped (they can only make gc keep more). */
export function parseSegment(text: string): InventoryEntry[] {
  const out: InventoryEntry[] = []
  for (const line of text.split('\n')) {
    const entry = parseLine(line)
    if (entry !== undefined) out.push(entry)
  }
  return out
}

function parseLine(line: string): InventoryEntry | undefined {
  if (line.length < 66 || line[64] !== ' ') return undefined
  const id = line.slice(0, 64)
  const bytes = line.slice(65)
  if (!isObjectId(id) || !/^\d{1,15}$/.test(bytes)) return undefined
  return { id: id as ObjectId, bytes: Number(bytes) }
}

export function formatInventory(entries: readonly InventoryEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return `${INVENTORY_HEADER}\n${sorted.map((e) => logLine(e.id, e.bytes)).join('')}`
}

/** The inventory's entries; CORRUPT naming `where` when any line does not parse (gc then asks for a listing). */
export function parseInventory(text: string, where: string): InventoryEntry[] {
  const lines = text.split('\n')
  if (lines[0] !== INVENTORY_HEADER) throw corruptInventory(where, 'its first line is not "dv-inventory 1"')
  const out: InventoryEntry[] = []
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '' && i === lines.length - 1) break
    const entry = parseLine(lines[i])
    if (entry === undefined) throw corruptInventory(where, `line ${i + 1} is not "<64 hex id> <bytes>"`)
    out.push(entry)
  }
  return out
}

function corruptInventory(where: string, why: string): DvError {
  return new DvError('CORRUPT', `the gc inventory ${where} is damaged: ${why}`, {
    hint: 'run dv gc --list-all: it lists the store instead and writes a new inventory',
    details: { path: where },
  })
}
