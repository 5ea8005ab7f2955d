/**
 * The difference between two schemas of one table, by field id at every
 * depth (format-spec/table-metadata.md#schema-evolution): a field id names a
 * column for the life of a table, so a rename is a new name under the same
 * id, never a drop plus an add. Pure: no I/O.
 */
import { allFields, isPrimitive, type FieldEntry } from './fields.js'
import { canPromote } from './schema-evolution.js'
import { formatFieldPath, formatType } from './type-text.js'
import type { Schema } from './types.js'

/**
 * One change to one field, named by its id. `path` is the field's path on the
 * side where it exists (the new side when on both), dotted as people write it.
 * - added / dropped: the field (and so everything inside it) is new or gone;
 *   fields inside an added or dropped struct are not listed again;
 * - renamed: the field's own name changed (a field whose parent was renamed
 *   is not renamed itself);
 * - widened: a promotion (int -> long, ...); type-changed: any other change of
 *   a primitive type, or a change of nested kind (dv never writes one, but a
 *   diff of arbitrary metadata must still say so);
 * - made-optional / made-required: the field's `required` flag changed.
 */
export type SchemaChange =
  | { change: 'added'; id: number; path: string; type: string; required: boolean }
  | { change: 'dropped'; id: number; path: string; type: string }
  | { change: 'renamed'; id: number; path: string; from: string; to: string }
  | { change: 'widened' | 'type-changed'; id: number; path: string; from: string; to: string }
  | { change: 'made-optional' | 'made-required'; id: number; path: string }

function kindOf(entry: FieldEntry): string {
  return isPrimitive(entry.type) ? entry.type : entry.type.type
}

/** True when `entry` lies inside one of the fields whose ids are in `ids` (its ancestors, by path prefix on its own side). */
function insideAny(entry: FieldEntry, roots: FieldEntry[]): boolean {
  return roots.some((r) => r.path.length < entry.path.length && r.path.every((n, i) => entry.path[i] === n))
}

/**
 * The changes from `before` to `after`, ordered as the fields appear (added
 * and changed fields in `after`'s order, then dropped ones in `before`'s).
 * Identical schemas give [].
 */
export function schemaDiff(before: Schema, after: Schema): SchemaChange[] {
  const old = allFields(before)
  const now = allFields(after)
  const oldById = new Map(old.map((f) => [f.id, f]))
  const newIds = new Set(now.map((f) => f.id))
  const changes: SchemaChange[] = []
  const added = now.filter((f) => !oldById.has(f.id))
  for (const f of now) {
    const was = oldById.get(f.id)
    const path = formatFieldPath(f.path)
    if (!was) {
      if (!insideAny(f, added)) changes.push({ change: 'added', id: f.id, path, type: formatType(f.type), required: f.required })
      continue
    }
    if (was.path.at(-1) !== f.path.at(-1)) changes.push({ change: 'renamed', id: f.id, path, from: formatFieldPath(was.path), to: path })
    if (isPrimitive(was.type) && isPrimitive(f.type)) {
      if (was.type !== f.type) {
        changes.push({ change: canPromote(was.type, f.type) ? 'widened' : 'type-changed', id: f.id, path, from: was.type, to: f.type })
      }
    } else if (kindOf(was) !== kindOf(f)) {
      changes.push({ change: 'type-changed', id: f.id, path, from: formatType(was.type), to: formatType(f.type) })
    }
    if (was.required !== f.required) changes.push({ change: f.required ? 'made-required' : 'made-optional', id: f.id, path })
  }
  const dropped = old.filter((f) => !newIds.has(f.id))
  for (const f of dropped) {
    if (!insideAny(f, dropped)) changes.push({ change: 'dropped', id: f.id, path: formatFieldPath(f.path), type: formatType(f.type) })
  }
  return changes
}
