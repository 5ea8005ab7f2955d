/**
 * Reading a nested column of a data file as the current schema says, by
 * field id at every depth (format-spec/manifest.md#nested-columns): a struct
 * field renamed since the file was written is found under its physical name,
 * a field the file lacks reads as a typed NULL, a dropped one is left out,
 * and promoted leaves are cast. When the file's names already are the
 * schema's, one CAST does it all (DuckDB casts structs by name).
 */
import type { ColumnInfo, Type } from '../format/types.js'
import { childFields, isPrimitive } from '../format/fields.js'
import { quoteIdent, quoteLiteral } from './duck.js'
import { toDuckType } from './duck-types.js'

type Columns = Record<string, ColumnInfo>

/** True when every field inside `type` is in the file under its current name. */
function sameLayout(type: Type, columns: Columns): boolean {
  return childFields(type).every((c) => columns[String(c.id)]?.name === c.name && sameLayout(c.type, columns))
}

/** SQL reading `source` (the file's value of a field of type `type`) as `type`. */
export function readNested(source: string, type: Type, columns: Columns, depth = 0): string {
  const duckType = toDuckType(type)
  if (isPrimitive(type) || sameLayout(type, columns)) return `CAST(${source} AS ${duckType})`
  const x = `x${depth}`
  switch (type.type) {
    case 'struct': {
      const parts = type.fields.map((f) => {
        const info = columns[String(f.id)]
        const value = info ? readNested(`struct_extract(${source}, ${quoteLiteral(info.name)})`, f.type, columns, depth + 1) : `CAST(NULL AS ${toDuckType(f.type)})`
        return `${quoteIdent(f.name)} := ${value}`
      })
      return `CAST(CASE WHEN ${source} IS NULL THEN NULL ELSE struct_pack(${parts.join(', ')}) END AS ${duckType})`
    }
    case 'list':
      return `CAST(list_transform(${source}, lambda ${x}: ${readNested(x, type.element, columns, depth + 1)}) AS ${duckType})`
    case 'map': {
      const key = readNested(`${x}.key`, type.key, columns, depth + 1)
      const value = readNested(`${x}.value`, type.value, columns, depth + 1)
      return `CAST(map_from_entries(list_transform(map_entries(${source}), lambda ${x}: struct_pack("key" := ${key}, "value" := ${value}))) AS ${duckType})`
    }
  }
}
