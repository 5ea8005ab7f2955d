/**
 * User expressions: parsed by DuckDB, checked against dv's allow-list,
 * rendered by dv. The escape attempts of test/fixtures/predicate-escapes.ts
 * are refused by name; accepted predicates render to SQL that parses back to
 * the same checked tree; the function allow-list holds only pure functions
 * and is the one the README documents.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Schema } from '../../src/format/types.js'
import { isDvError } from '../../src/errors.js'
import { openSandbox, type Sandbox } from '../../src/io/sandbox.js'
import { checkPredicate } from '../../src/io/predicate.js'
import { parseExpression } from '../../src/io/expression-parse.js'
import { checkExpression } from '../../src/io/expression-check.js'
import { renderExpression, schemaResolver, type ColumnResolver } from '../../src/io/expression.js'
import { ALLOWED_FUNCTIONS, allowedFunctionNames } from '../../src/io/expression-functions.js'
import { ESCAPE_ATTEMPTS, withSentinel } from '../fixtures/predicate-escapes.js'
import { ROOT } from '../cli/run-dv.js'

const SCHEMA: Schema = {
  fields: [
    { id: 1, name: 'id', type: 'long', required: false },
    { id: 2, name: 'country', type: 'string', required: false },
    { id: 3, name: 'ts', type: 'timestamp', required: false },
    { id: 4, name: 'amount', type: 'decimal(10,2)', required: false },
    { id: 5, name: 'flag', type: 'boolean', required: false },
    { id: 6, name: 'd', type: 'date', required: false },
    { id: 7, name: 'tz', type: 'timestamptz', required: false },
    { id: 8, name: 'Mixed Case', type: 'double', required: false },
  ],
}

let dir: string
let sandbox: Sandbox

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-expr-'))
  sandbox = await openSandbox({ scratchDir: dir, threads: 1 })
})

afterAll(async () => {
  sandbox.close()
  await rm(dir, { recursive: true, force: true })
})

async function refusal(where: string): Promise<string> {
  try {
    await checkPredicate(sandbox, where, SCHEMA)
  } catch (e) {
    if (isDvError(e, 'INVALID_ARGUMENT')) return e.message
    throw e
  }
  throw new Error(`predicate ${JSON.stringify(where)} was accepted`)
}

describe('escape attempts', () => {
  for (const attempt of ESCAPE_ATTEMPTS) {
    it(`refuses ${JSON.stringify(attempt.where)}`, async () => {
      expect(await refusal(withSentinel(attempt, join(dir, 'sentinel.txt')))).toMatch(attempt.expect)
    })
  }
})

const ACCEPTED = [
  "country = 'DE'",
  "ts >= '2026-01-02' AND country IN ('DE', 'FR') AND amount BETWEEN 1 AND 2.5 AND flag AND d = DATE '2026-01-01'",
  "id NOT IN (1, 2, -3) OR country NOT LIKE 'x%' OR country ILIKE 'd_' OR country NOT ILIKE 'y' ESCAPE '!'",
  "country LIKE 'a!%' ESCAPE '!'",
  'NOT flag IS NULL AND id IS NOT NULL AND id IS DISTINCT FROM 3 AND id IS NOT DISTINCT FROM 4',
  'id NOT BETWEEN -5 AND 5',
  '-id < 3 AND +id > 0 AND id - -1 > 0 AND id * 2 / 3 // 1 % 7 <> 0',
  "country || 'x' = 'DEx'",
  'CAST(id AS INTEGER) = 1 AND TRY_CAST(country AS BIGINT) IS NULL AND id::DOUBLE > 1.5e0 AND amount::DECIMAL(12,4) > 0',
  "ts < TIMESTAMP '2026-01-01 00:00:00' + INTERVAL '1 day' AND tz >= TIMESTAMPTZ '2026-01-01 00:00:00+01'",
  "country COLLATE nocase = 'de' AND country COLLATE nocase.noaccent <> 'x'",
  "CASE WHEN flag THEN id ELSE 0 END > 3 AND CASE id WHEN 1 THEN 'a' END = 'a'",
  "year(ts) = 2026 AND extract(month FROM d) = 1 AND position('D' IN country) = 1 AND date_part('day', tz) = 2",
  "coalesce(id, 0) = 0 AND ifnull(id, 1) = 1 AND nullif(id, 1) IS NULL AND greatest(id, 2) = least(id, 9)",
  "lower(country) = 'de' AND upper(country) = 'DE' AND length(country) = 2 AND trim(country) = ltrim(rtrim(country))",
  "substring(country, 1, 1) = 'D' AND substr(country, 2) = 'E' AND starts_with(country, 'D') AND ends_with(country, 'E')",
  "contains(country, 'E') AND concat(country, 'x') = 'DEx' AND replace(country, 'D', 'd') = 'dE' AND strpos(country, 'E') = 2",
  "regexp_matches(country, '^[A-Z]+$') AND country SIMILAR TO '[A-Z]+' AND trim(BOTH 'x' FROM country) = 'DE'",
  "abs(id) = 1 AND round(amount, 1) = 1.5 AND floor(amount) = 1 AND ceil(amount) = 2 AND ceiling(amount) = 2 AND sign(id) = 1 AND mod(id, 2) = 1",
  "date_trunc('month', ts) = TIMESTAMP '2026-01-01 00:00:00' AND month(d) = 1 AND day(d) = 1 AND hour(ts) = 0 AND minute(ts) = 0 AND second(ts) = 0",
  "epoch_ms(ts) > 0 AND make_date(2026, 1, 1) = d AND strftime(ts, '%Y') = '2026'",
  '"Mixed Case" > 0.5 AND ID = 1',
  'id = 9223372036854775807 OR id = -9223372036854775808 OR amount = 170141183460469231731687303715884105727',
  "country = 'a''b' OR country = E'\\'' OR country = $$x$$ OR country = ''') OR (1=1 --'",
  'flag IS TRUE OR flag IS NOT FALSE OR NULL',
  'id = 1 -- a trailing comment is dropped',
  'id = 1 /* so is this one */',
]

describe('accepted predicates', () => {
  for (const where of ACCEPTED) {
    it(`renders ${JSON.stringify(where)} to SQL that parses back to the same checked tree`, async () => {
      const checked = await checkPredicate(sandbox, where, SCHEMA)
      const again = checkExpression(await parseExpression(sandbox, checked.sql), schemaResolver(SCHEMA))
      expect(again).toEqual(checked.expr)
      expect(renderExpression(again)).toBe(checked.sql)
    })
  }

  it('keeps a string value inside its literal, whatever it holds', async () => {
    const { sql } = await checkPredicate(sandbox, "country = ''') OR (1=1 --'", SCHEMA)
    expect(sql).toBe(`("country" = ''') OR (1=1 --')`)
    const [row] = await sandbox.all(`SELECT count(*) AS n FROM (VALUES ('DE'), (''') OR (1=1 --')) AS t(country) WHERE ${sql}`)
    expect(Number(row.n)).toBe(1)
  })

  it('renders columns as quoted identifiers of the schema and negative numbers in parentheses', async () => {
    expect((await checkPredicate(sandbox, 'ID - -1 > -2.5', SCHEMA)).sql).toBe('(("id" - (-1)) > (-2.5))')
    expect((await checkPredicate(sandbox, 'amount > -1.5e3', SCHEMA)).sql).toBe('("amount" > (-1.5e+3))')
  })
})

describe('column references', () => {
  it('go through the resolver: a nested path needs only another resolver', async () => {
    const nested: ColumnResolver = (path) =>
      path.join('.') === 'payload.user.id' ? { name: 'payload.user.id', sql: '"payload"."user"."id"', type: 'long' } : undefined
    const expr = checkExpression(await parseExpression(sandbox, 'payload.user.id = 7'), nested)
    expect(renderExpression(expr)).toBe('("payload"."user"."id" = 7)')
    expect(() => checkExpression({ class: 'COLUMN_REF', type: 'COLUMN_REF', column_names: ['payload', 'user'] }, nested)).toThrow(/unknown column 'payload.user'/)
  })

  it('resolve a table column exactly, else by its one case-insensitive match', () => {
    const resolve = schemaResolver({ fields: [{ id: 1, name: 'a', type: 'long', required: false }, { id: 2, name: 'A', type: 'long', required: false }, { id: 3, name: 'Bee', type: 'long', required: false }] })
    expect(resolve(['A'])?.sql).toBe('"A"')
    expect(resolve(['bee'])?.sql).toBe('"Bee"')
    expect(resolve(['t', 'a'])).toBeUndefined()
  })
})

describe('the function allow-list', () => {
  it('holds only scalar functions DuckDB marks consistent (pure)', async () => {
    const names = allowedFunctionNames()
    const rows = await sandbox.all(
      `SELECT function_name AS name, list(DISTINCT function_type) AS types, list(DISTINCT coalesce(stability, 'none')) AS stabilities
       FROM duckdb_functions() WHERE function_name IN (${names.map((n) => `'${n}'`).join(', ')}) GROUP BY ALL`,
    )
    const found = new Map(rows.map((r) => [String(r.name), r]))
    // coalesce and ifnull are operators of the parser, not catalog functions
    for (const name of names.filter((n) => n !== 'coalesce' && n !== 'ifnull')) {
      const row = found.get(name)
      expect(row, name).toBeDefined()
      for (const type of row!.types as string[]) expect(['scalar', 'macro'], `${name}: ${type}`).toContain(type)
      for (const s of row!.stabilities as string[]) expect(['CONSISTENT', 'none'], `${name}: ${s}`).toContain(s)
    }
  })

  it('is the list the README documents', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('### Predicates'))
    for (const [group, names] of Object.entries(ALLOWED_FUNCTIONS)) {
      const line = section.split('\n').find((l) => l.startsWith(`- ${group}:`))
      expect(line, group).toBeDefined()
      const listed = [...line!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1])
      expect(listed, group).toEqual(names)
    }
  })
})
