/**
 * Null counts of nested fields (format-spec/values.md#statistics), which a
 * Parquet writer's statistics do not give: for a struct, list or map field
 * outside any list or map, the rows where it is null (itself or through a
 * null parent struct); for a field inside a list or map, the null elements,
 * keys or values, the rows holding at least one of them (so nulls <= rows). One aggregate query per written file,
 * reading only its nested columns. Leaf fields outside lists and maps keep
 * the writer's statistics (Parquet counts a leaf null under a null parent
 * too, which is the same rule).
 */
import type { Schema, Type } from '../format/types.js'
import { childFields, isNested } from '../format/fields.js'
import { Duck, quoteIdent, quoteLiteral } from './duck.js'
import type { FileFacts } from './written-stats.js'

interface Count {
  id: number
  sql: string
}

/** The count expressions for every nested field of `schema` (none when the schema is flat). */
function nullCounts(schema: Schema): Count[] {
  const out: Count[] = []
  let vars = 0
  // `scalar`: the SQL of a value of type `type` (outside lists and maps); `values`: of a list of every value (inside them).
  const visit = (type: Type, at: { scalar: string } | { values: string }): void => {
    for (const c of childFields(type)) {
      let next: { scalar: string } | { values: string }
      if ('scalar' in at) {
        const { scalar } = at
        next = c.role === 'field' ? { scalar: `struct_extract(${scalar}, ${quoteLiteral(c.name)})` }
          : { values: c.role === 'element' ? `coalesce(${scalar}, [])` : `coalesce(map_${c.role}s(${scalar}), [])` }
      } else {
        const x = `x${vars++}`
        const inner = c.role === 'field' ? `struct_extract(${x}, ${quoteLiteral(c.name)})`
          : c.role === 'element' ? `coalesce(${x}, [])` : `coalesce(map_${c.role}s(${x}), [])`
        next = { values: c.role === 'field' ? `list_transform(${at.values}, lambda ${x}: ${inner})` : `flatten(list_transform(${at.values}, lambda ${x}: ${inner}))` }
      }
      if ('values' in next) {
        // list_count counts the non-null values: a row holds a null one when it counts fewer than the list's length
        out.push({ id: c.id, sql: `count(*) FILTER (WHERE len(${next.values}) > list_count(${next.values}))` })
      } else if (isNested(c.type)) {
        out.push({ id: c.id, sql: `count(*) - count(${next.scalar})` })
      }
      visit(c.type, next)
    }
  }
  for (const f of schema.fields) {
    if (!isNested(f.type)) continue
    const scalar = quoteIdent(f.name)
    out.push({ id: f.id, sql: `count(*) - count(${scalar})` })
    visit(f.type, { scalar })
  }
  return out
}

/** Sets `nulls` of every nested field (and field inside one) in each file's facts, as the module comment says. */
export async function completeNestedFacts(duck: Duck, facts: FileFacts[], schema: Schema): Promise<FileFacts[]> {
  const counts = nullCounts(schema)
  if (!counts.length) return facts
  for (const f of facts) {
    if (f.rows === 0) continue
    const [row] = await duck.all(`SELECT ${counts.map((c, i) => `${c.sql} AS n${i}`).join(', ')} FROM read_parquet(${quoteLiteral(f.path)})`)
    counts.forEach((c, i) => {
      const info = f.columns[String(c.id)]
      if (info) info.nulls = Number(row[`n${i}`])
    })
  }
  return facts
}
