/**
 * Reading a data contract file: YAML (the `yaml` library, which keeps every
 * node's source range), then the Open Data Contract Standard's own JSON
 * Schema v3.1.0 (vendored beside this file, see ODCS-NOTICE.md) with `ajv`.
 * Every error names the file, line and column: ajv's instancePath is walked
 * down the YAML document to the node it names.
 */
import { createRequire } from 'node:module'
import type { Ajv2019, ErrorObject, ValidateFunction } from 'ajv/dist/2019.js'
import type { Document, LineCounter } from 'yaml'
import { DvError } from '../../errors.js'
import odcsSchema from './odcs-json-schema-v3.1.0.json' with { type: 'json' }

/** A place in the contract file, 1-based. */
export interface Location {
  line: number
  column: number
}

export interface ParsedContract {
  /** Where the text came from, for messages (a file path, or `contract of TABLE at REV`). */
  file: string
  text: string
  /** The document as plain data (validated against the ODCS schema). */
  doc: Record<string, unknown>
  /** The location of the node at `path` (keys and indexes), or of its nearest ancestor that exists; with `key`, of the last key itself. */
  locate(path: ReadonlyArray<string | number>, key?: boolean): Location
}

// ajv and yaml load on the first contract read, not with the library: together they are 0.2-0.3 s
// of every cold `dv` process, and most commands never read a contract (bench/cold-start.ts).
// require(), synchronous, keeps parseContract synchronous; both packages are CommonJS.
const requireHere = createRequire(import.meta.url)
let yamlModule: typeof import('yaml') | undefined
const yaml = (): typeof import('yaml') => (yamlModule ??= requireHere('yaml') as typeof import('yaml'))

let validator: ValidateFunction | undefined

function odcsValidator(): ValidateFunction {
  if (validator) return validator
  const { Ajv2019 } = requireHere('ajv/dist/2019.js') as typeof import('ajv/dist/2019.js')
  // ODCS's schema is draft 2019-09; strict mode would refuse its vocabulary notes (e.g. "examples" next to "$ref")
  const ajv = new Ajv2019({ allErrors: true, strict: false })
  const addFormats = requireHere('ajv-formats') as (a: Ajv2019) => void
  addFormats(ajv)
  validator = ajv.compile(odcsSchema)
  return validator
}

/** `file:line:column` */
export function at(file: string, loc: Location): string {
  return `${file}:${loc.line}:${loc.column}`
}

export function contractError(file: string, loc: Location, problem: string, hint?: string, details: Record<string, unknown> = {}): DvError {
  return new DvError('INVALID_ARGUMENT', `${at(file, loc)}: ${problem}`, {
    hint: hint ?? 'fix the contract file and run `dv contract set` again',
    details: { file, line: loc.line, column: loc.column, ...details },
  })
}

function locator(document: Document, lines: LineCounter): (path: ReadonlyArray<string | number>, key?: boolean) => Location {
  const { isMap, isSeq } = yaml()
  return (path, wantKey) => {
    let node: unknown = document.contents
    let range = document.contents?.range
    for (const [i, key] of path.entries()) {
      let next: unknown
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(key))
        next = wantKey && i === path.length - 1 ? pair?.key : pair?.value ?? pair?.key
      } else if (isSeq(node)) {
        next = node.items[Number(key)]
      }
      const r = (next as { range?: [number, number, number] } | undefined)?.range
      if (!r) break
      node = next
      range = r
    }
    const { line, col } = lines.linePos(range?.[0] ?? 0)
    return { line, column: col }
  }
}

/** "/schema/0/properties/1" -> ['schema', 0, 'properties', 1] */
function pathOf(pointer: string): Array<string | number> {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

/** The most specific of ajv's errors: the deepest path, preferring a wrong value or an unknown field to a failed if/then or oneOf. */
function mostSpecific(errors: ErrorObject[]): ErrorObject {
  const rank = (e: ErrorObject) => ['if', 'oneOf', 'anyOf', 'allOf', 'not'].includes(e.keyword) ? 0 : 1
  return [...errors].sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length || rank(b) - rank(a))[0]!
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'the contract' : `'${pathOf(e.instancePath).join('.')}'`
  if (e.keyword === 'enum') return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
  if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
    const p = e.params as { additionalProperty?: string; unevaluatedProperty?: string }
    return `unknown field '${p.additionalProperty ?? p.unevaluatedProperty}' in ${where}`
  }
  if (e.keyword === 'required') return `${where} lacks the required field '${(e.params as { missingProperty: string }).missingProperty}'`
  return `${where} ${e.message ?? 'is invalid'}`
}

/**
 * Parses and validates a contract; INVALID_ARGUMENT with file, line and
 * column on any problem. `validated`: the text passed this validation when
 * it was stored (a table's contract: `dv contract set` is its only writer),
 * so only the YAML is parsed. Compiling ajv's validator for ODCS's schema
 * took 0.17 s of every dv process that read a contract, on top of loading
 * ajv: half of a one-row CLI write into a table with a contract.
 */
export function parseContract(text: string, file: string, options: { validated?: boolean } = {}): ParsedContract {
  const { LineCounter, parseDocument } = yaml()
  const lines = new LineCounter()
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const problem = document.errors[0]
  if (problem) {
    const [line, column] = [problem.linePos?.[0]?.line ?? 1, problem.linePos?.[0]?.col ?? 1]
    throw contractError(file, { line, column }, `the contract is not valid YAML: ${problem.message.split('\n')[0]}`, 'fix the YAML syntax (indentation, quoting) and run it again')
  }
  const locate = locator(document, lines)
  const doc = document.toJS({ maxAliasCount: 100 }) as unknown
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw contractError(file, { line: 1, column: 1 }, 'a contract is a YAML mapping (apiVersion, kind, id, schema, ...)', 'see https://bitol-io.github.io/open-data-contract-standard/ for the format')
  }
  if (options.validated) return { file, text, doc: doc as Record<string, unknown>, locate }
  const validate = odcsValidator()
  if (!validate(doc)) {
    const e = mostSpecific(validate.errors ?? [])
    const path = pathOf(e.instancePath)
    const p = e.params as { additionalProperty?: string; unevaluatedProperty?: string }
    const field = e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties' ? p.additionalProperty ?? p.unevaluatedProperty : undefined
    throw contractError(file, field ? locate([...path, field], true) : locate(path), `not a valid ODCS v3.1.0 contract: ${describeError(e)}`, 'the contract must validate against the ODCS v3.1.0 JSON schema', { schemaPath: e.schemaPath })
  }
  return { file, text, doc: doc as Record<string, unknown>, locate }
}
