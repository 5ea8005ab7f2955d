/**
 * What the per-object decode tests share: the spec's examples, a value
 * changed at one JSON path, and the CORRUPT refusal a parser gives for a
 * value's canonical bytes (its JSON path and message).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { canonicalize } from '../../src/format/canonical-json.js'
import { isDvError } from '../../src/errors.js'

export type Json = Record<string, unknown>

const EXAMPLES = join(import.meta.dirname, '..', '..', 'format-spec', 'examples')

/** A format-spec example, parsed. */
export const example = (name: string): Json => JSON.parse(readFileSync(join(EXAMPLES, name), 'utf8')) as Json

/** As `change`: the key at the end of the path is deleted. */
export const DELETE = Symbol('delete')

/** A deep copy of `base` with `change` set at `path` (or the key deleted, for DELETE). */
export function changed(base: Json, path: string[], change: unknown): Json {
  const copy = structuredClone(base)
  let at: Json = copy
  for (const key of path.slice(0, -1)) at = at[key] as Json
  const last = path[path.length - 1]!
  if (change === DELETE) delete at[last]
  else at[last] = change
  return copy
}

/** The CORRUPT error's JSON path and message when `parse` refuses `value`'s canonical bytes; throws if it accepts them. */
export function refusal(parse: (bytes: Uint8Array, what?: string) => unknown, value: unknown): { path: string; message: string } {
  try {
    parse(canonicalize(value), 'the object')
  } catch (e) {
    if (isDvError(e, 'CORRUPT')) return { path: String((e.details as { path?: string }).path), message: e.message }
    throw e
  }
  throw new Error(`accepted: ${JSON.stringify(value)}`)
}
