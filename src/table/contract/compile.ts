/**
 * From a validated ODCS document to the rules dv enforces on one table
 * (rules.ts). The schema object is the one whose `name` or `physicalName`
 * is the table's name; each property must name a top-level column of the
 * table, and its `logicalType` must fit the column's type. Whatever dv does
 * not enforce is listed in `unsupported`, never dropped in silence.
 * Pure: patterns are checked here as JavaScript regular expressions, and
 * against the engine's RE2 (and sql rules against the engine) by the caller.
 */
import type { Field, Schema } from '../../format/types.js'
import type { RowTest } from '../../io/types.js'
import { contractError, type Location, type ParsedContract } from './parse.js'
import { OPERATORS, onlyZero, type Bound, type CompiledContract, type Metric, type Rule, type Unsupported } from './rules.js'

type Obj = Record<string, unknown>
type Path = Array<string | number>

/** Which dv types each ODCS logicalType admits. */
const LOGICAL_TYPES: Record<string, (t: Field['type']) => boolean> = {
  string: (t) => t === 'string' || t === 'uuid',
  integer: (t) => t === 'int' || t === 'long',
  number: (t) => typeof t === 'string' && (['int', 'long', 'float', 'double'].includes(t) || t.startsWith('decimal(')),
  boolean: (t) => t === 'boolean',
  date: (t) => t === 'date',
  timestamp: (t) => typeof t === 'string' && t.startsWith('timestamp'),
  time: (t) => t === 'time',
  object: (t) => typeof t === 'object' && (t.type === 'struct' || t.type === 'map'),
  array: (t) => typeof t === 'object' && t.type === 'list',
}

const FORMATS: Record<string, string> = {
  email: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
  uri: '^[A-Za-z][A-Za-z0-9+.-]*:[^\\s]*$',
  uuid: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
}

const DESCRIPTIVE_OPTIONS = new Set(['timezone', 'defaultTimezone'])
const METRICS = new Set<string>(['nullValues', 'missingValues', 'invalidValues', 'duplicateValues', 'rowCount'])

function typeText(t: Field['type']): string {
  return typeof t === 'string' ? t : t.type
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** `24h`, `30m`, `7d`, `90s`, or ISO-8601 `P1D`, `PT24H`, `PT30M`: milliseconds, or undefined. */
export function parseDuration(text: string): number | undefined {
  const simple = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim())
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
  if (simple) return Number(simple[1]) * unit[simple[2] as keyof typeof unit]
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim())
  if (!iso || text.trim() === 'P' || text.trim().endsWith('T')) return undefined
  const [, d, h, m, s] = iso
  return Number(d ?? 0) * unit.d + Number(h ?? 0) * unit.h + Number(m ?? 0) * unit.m + Number(s ?? 0) * unit.s
}

class Compiler {
  readonly rules: Rule[] = []
  readonly unsupported: Unsupported[] = []

  constructor(private readonly c: ParsedContract, private readonly table: string, private readonly schema: Schema) {}

  private fail(path: Path, problem: string, hint?: string): never {
    throw contractError(this.c.file, this.c.locate(path), problem, hint)
  }

  private skip(path: Path, what: string): void {
    this.unsupported.push({ what, where: this.c.locate(path) })
  }

  private loc(path: Path): Location {
    return this.c.locate(path)
  }

  compile(): CompiledContract {
    const objects = (this.c.doc.schema ?? []) as Obj[]
    const index = objects.findIndex((o) => o.name === this.table || o.physicalName === this.table)
    if (index < 0) {
      this.fail(objects.length ? ['schema'] : [], `the contract has no schema object named '${this.table}' (by name or physicalName)`, `add \`schema: [{name: ${this.table}, properties: [...]}]\`, or set the contract on the table it describes`)
    }
    objects.forEach((o, i) => { if (i !== index) this.skip(['schema', i], `schema object '${String(o.name)}' (it is not table '${this.table}')`) })
    const object = objects[index]!
    const base: Path = ['schema', index]
    if (object.logicalType !== undefined && object.logicalType !== 'object') this.fail([...base, 'logicalType'], `the schema object of a table has logicalType 'object', not '${String(object.logicalType)}'`)
    ;((object.properties ?? []) as Obj[]).forEach((p, i) => this.property(p, [...base, 'properties', i]))
    ;((object.quality ?? []) as Obj[]).forEach((q, i) => this.quality(q, [...base, 'quality', i], undefined))
    if (isObj(this.c.doc) && Array.isArray(this.c.doc.slaProperties) && this.c.doc.slaProperties.length) this.skip(['slaProperties'], 'slaProperties (use a type: custom, engine: dv freshness rule)')
    return { object: String(object.name), rules: this.rules, unsupported: this.unsupported }
  }

  private property(p: Obj, path: Path): void {
    const name = String(p.physicalName ?? p.name)
    const field = this.schema.fields.find((f) => f.name === name)
    if (!field) {
      this.fail([...path, p.physicalName !== undefined ? 'physicalName' : 'name'], `table '${this.table}' has no column '${name}'`, `columns: ${this.schema.fields.map((f) => f.name).join(', ')}`)
    }
    if (typeof p.logicalType === 'string' && !LOGICAL_TYPES[p.logicalType]!(field.type)) {
      this.fail([...path, 'logicalType'], `column '${name}' is ${typeText(field.type)} in table '${this.table}', which is not logicalType '${p.logicalType}'`, `use the logicalType that fits ${typeText(field.type)}, or change the column`)
    }
    if (p.properties !== undefined || p.items !== undefined) this.skip(path, `nested properties of column '${name}'`)
    const row = (test: RowTest, check: string, at: Path, key = check) => this.rules.push({ kind: 'row', name: `${name}.${key}`, where: this.loc(at), column: name, test, check })
    if (p.required === true || p.primaryKey === true) row({ kind: 'notNull', column: name }, 'required', [...path, p.required === true ? 'required' : 'primaryKey'])
    if (p.unique === true || p.primaryKey === true) this.rules.push({ kind: 'unique', name: `${name}.unique`, where: this.loc([...path, p.unique === true ? 'unique' : 'primaryKey']), column: name })
    if (isObj(p.logicalTypeOptions)) this.options(field, p.logicalTypeOptions, [...path, 'logicalTypeOptions'], row)
    ;((p.quality ?? []) as Obj[]).forEach((q, i) => this.quality(q, [...path, 'quality', i], field))
  }

  private options(field: Field, o: Obj, path: Path, row: (t: RowTest, check: string, at: Path, key?: string) => void): void {
    const name = field.name
    const type = typeText(field.type)
    const ordered = LOGICAL_TYPES.number!(field.type) || ['date', 'time'].includes(type) || type.startsWith('timestamp')
    const textual = type === 'string' || type === 'uuid'
    const needs = (key: string, ok: boolean, what: string) => { if (!ok) this.fail([...path, key], `${key} applies to ${what} columns; column '${name}' is ${type}`) }
    if (o.minimum !== undefined || o.maximum !== undefined) {
      needs(o.minimum !== undefined ? 'minimum' : 'maximum', ordered, 'number, date, time and timestamp')
      for (const k of ['minimum', 'maximum'] as const) {
        if (o[k] !== undefined && typeof o[k] !== 'number' && typeof o[k] !== 'string') this.fail([...path, k], `${k} must be a number or a date/time text`)
      }
      row({ kind: 'range', column: name, ...(o.minimum !== undefined ? { min: String(o.minimum) } : {}), ...(o.maximum !== undefined ? { max: String(o.maximum) } : {}) }, 'range', [...path, o.minimum !== undefined ? 'minimum' : 'maximum'])
    }
    if (o.minLength !== undefined || o.maxLength !== undefined) {
      needs(o.minLength !== undefined ? 'minLength' : 'maxLength', textual, 'string')
      for (const k of ['minLength', 'maxLength'] as const) {
        if (o[k] !== undefined && !(Number.isInteger(o[k]) && (o[k] as number) >= 0)) this.fail([...path, k], `${k} must be a whole number >= 0`)
      }
      row({ kind: 'length', column: name, ...(o.minLength !== undefined ? { min: o.minLength as number } : {}), ...(o.maxLength !== undefined ? { max: o.maxLength as number } : {}) }, 'length', [...path, o.minLength !== undefined ? 'minLength' : 'maxLength'])
    }
    if (o.pattern !== undefined) {
      needs('pattern', textual, 'string')
      row({ kind: 'pattern', column: name, regex: this.regex(o.pattern, [...path, 'pattern']) }, 'pattern', [...path, 'pattern'])
    }
    if (o.format !== undefined) {
      const regex = FORMATS[String(o.format)]
      if (!textual || regex === undefined) this.skip([...path, 'format'], `format '${String(o.format)}' of column '${name}' (dv checks email, uri and uuid on string columns)`)
      else row({ kind: 'pattern', column: name, regex }, `format ${String(o.format)}`, [...path, 'format'], 'format')
    }
    for (const key of Object.keys(o)) {
      if (!['minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'format'].includes(key) && !DESCRIPTIVE_OPTIONS.has(key)) this.skip([...path, key], `logicalTypeOptions.${key} of column '${name}'`)
    }
  }

  private regex(v: unknown, path: Path): string {
    if (typeof v !== 'string' || v === '') this.fail(path, 'a pattern is a non-empty regular expression text')
    try {
      new RegExp(v, 'u')
    } catch (e) {
      this.fail(path, `invalid regular expression ${JSON.stringify(v)}: ${(e as Error).message}`, 'fix the pattern (RE2 syntax: no lookaround or backreferences)')
    }
    return v
  }

  private bound(q: Obj, path: Path): Bound {
    const op = OPERATORS.find((o) => q[o] !== undefined)
    if (!op) this.fail(path, 'the rule has no operator (mustBe, mustBeLessThan, mustBeBetween, ...)')
    const value = q[op]
    if (op === 'mustBeBetween' || op === 'mustNotBeBetween') {
      const pair = value as [number, number]
      if (pair[0] > pair[1]) this.fail([...path, op], `${op} takes the smaller number first: [${pair[1]}, ${pair[0]}]`)
      return { op, value: [pair[0], pair[1]] }
    }
    if (typeof value !== 'number') this.fail([...path, op], `${op} must be a number here, not ${JSON.stringify(value)}`)
    return { op, value }
  }

  private quality(q: Obj, path: Path, field: Field | undefined): void {
    const type = String(q.type ?? 'library')
    const column = field?.name
    const name = (fallback: string) => (typeof q.name === 'string' ? q.name : column ? `${column}.${fallback}` : fallback)
    if (type === 'text') return this.skip(path, `text rule${q.description ? ` '${String(q.description)}'` : ''} (not executable)`)
    if (type === 'sql') {
      const query = String(q.query).replace(/\$\{column\}/g, column === undefined ? `\${column}` : `"${column.replace(/"/g, '""')}"`)
      this.rules.push({ kind: 'sql', name: name('sql'), where: this.loc(path), ...(column ? { column } : {}), query, bound: this.bound(q, path) })
      return
    }
    if (type === 'custom') return this.custom(q, path, field, name)
    if (typeof q.metric !== 'string' || !METRICS.has(q.metric)) return this.skip(path, `library rule '${String(q.rule ?? q.metric)}' (dv checks metrics ${[...METRICS].join(', ')})`)
    const metric = q.metric as Metric
    const bound = this.bound(q, path)
    const percent = q.unit === 'percent'
    if (q.unit !== undefined && q.unit !== 'percent' && q.unit !== 'rows') this.fail([...path, 'unit'], `unit '${String(q.unit)}' is not 'rows' or 'percent'`)
    if (metric === 'rowCount') {
      if (percent) this.fail([...path, 'unit'], 'rowCount counts rows: unit percent does not apply')
      this.rules.push({ kind: 'metric', name: name('rowCount'), where: this.loc(path), metric, bound, percent: false })
      return
    }
    if (!column) return this.skip(path, `${metric} at table level (put it under the property it checks)`)
    const args = isObj(q.arguments) ? q.arguments : {}
    let test: RowTest | undefined
    if (metric === 'nullValues') test = { kind: 'notNull', column }
    if (metric === 'missingValues') test = { kind: 'missing', column, values: ((args.missingValues ?? []) as unknown[]).filter((v) => v !== null).map(String) }
    if (metric === 'invalidValues') {
      if (Array.isArray(args.validValues) === (args.pattern !== undefined)) this.fail([...path, 'arguments'], 'invalidValues takes arguments.validValues (a list) or arguments.pattern, one of the two')
      test = Array.isArray(args.validValues)
        ? { kind: 'in', column, values: args.validValues.map(String) }
        : { kind: 'pattern', column, regex: this.regex(args.pattern, [...path, 'arguments', 'pattern']) }
    }
    const where = this.loc(path)
    if (metric === 'duplicateValues' && !percent && onlyZero(bound)) this.rules.push({ kind: 'unique', name: name('duplicateValues'), where, column })
    else if (test && !percent && onlyZero(bound)) this.rules.push({ kind: 'row', name: name(metric), where, column, test, check: metric })
    else this.rules.push({ kind: 'metric', name: name(metric), where, column, metric, ...(test ? { test } : {}), bound, percent })
  }

  private custom(q: Obj, path: Path, field: Field | undefined, name: (f: string) => string): void {
    if (q.engine !== 'dv') return this.skip(path, `custom rule for engine '${String(q.engine)}' (dv runs engine: dv)`)
    const impl = q.implementation
    if (!isObj(impl)) this.fail([...path, 'implementation'], 'a dv rule\'s implementation is a mapping: {rule: freshness, column: ts, maxAge: 24h} or {rule: volume, maxChangePercent: 50}')
    if (impl.rule === 'freshness') {
      const column = String(impl.column ?? field?.name ?? '')
      const f = this.schema.fields.find((x) => x.name === column)
      if (!f) this.fail([...path, 'implementation', 'column'], `table '${this.table}' has no column '${column}'`)
      if (!String(typeText(f.type)).startsWith('timestamp')) this.fail([...path, 'implementation', 'column'], `freshness needs a timestamp column; '${column}' is ${typeText(f.type)}`)
      const maxAgeMs = parseDuration(String(impl.maxAge ?? ''))
      if (maxAgeMs === undefined) this.fail([...path, 'implementation', 'maxAge'], `maxAge ${JSON.stringify(impl.maxAge)} is not a duration like 24h, 30m, 7d or PT24H`)
      this.rules.push({ kind: 'freshness', name: name('freshness'), where: this.loc(path), column, maxAgeMs, maxAge: String(impl.maxAge) })
      return
    }
    if (impl.rule === 'volume') {
      const pct = impl.maxChangePercent
      if (typeof pct !== 'number' || pct < 0) this.fail([...path, 'implementation', 'maxChangePercent'], 'maxChangePercent must be a number >= 0')
      this.rules.push({ kind: 'volume', name: name('volume'), where: this.loc(path), maxChangePercent: pct })
      return
    }
    this.fail([...path, 'implementation', 'rule'], `unknown dv rule ${JSON.stringify(impl.rule)}: dv has freshness and volume`)
  }
}

/** The rules of `contract` for `table`; INVALID_ARGUMENT with file, line and column for what cannot apply. */
export function compileContract(contract: ParsedContract, table: string, schema: Schema): CompiledContract {
  return new Compiler(contract, table, schema).compile()
}
