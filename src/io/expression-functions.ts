/**
 * The scalar functions a user expression (a `--where` predicate, and later a
 * contract rule) may call: pure and deterministic (DuckDB marks every one
 * CONSISTENT: same input, same output, no clock, no randomness, no settings,
 * no files). This list is the only place that allows a function; the README's
 * security notes list the same names (test/io/expression.test.ts checks both).
 *
 * Operators (+ - * / // % ||, comparisons, LIKE/ILIKE, IN, BETWEEN, IS NULL,
 * CAST, COLLATE, CASE) are allowed by the checker itself, not here.
 */
export const ALLOWED_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  string: [
    'lower', 'upper', 'length', 'trim', 'ltrim', 'rtrim', 'substring', 'substr', 'starts_with', 'ends_with',
    'contains', 'concat', 'replace', 'strpos', 'regexp_matches', 'regexp_full_match',
  ],
  numeric: ['abs', 'round', 'floor', 'ceil', 'ceiling', 'sign', 'mod'],
  'date and time': ['date_trunc', 'date_part', 'year', 'month', 'day', 'hour', 'minute', 'second', 'epoch_ms', 'make_date', 'strftime'],
  null: ['coalesce', 'ifnull', 'nullif', 'greatest', 'least'],
}

const ALLOWED = new Set(Object.values(ALLOWED_FUNCTIONS).flat())

/**
 * Spellings DuckDB's parser produces for SQL syntax, mapped to the function
 * dv renders: `position(x IN s)` is strpos(s, x); EXTRACT(part FROM v) is
 * date_part; `s SIMILAR TO p` is regexp_full_match; COALESCE/IFNULL arrive as
 * an operator node and are rendered as coalesce.
 */
const SYNTAX_ALIASES: Readonly<Record<string, string>> = { position: 'strpos' }

/** The function dv calls for `name` (lower case), or undefined when it is not allowed. */
export function allowedFunction(name: string): string | undefined {
  const canonical = SYNTAX_ALIASES[name] ?? name
  return ALLOWED.has(canonical) ? canonical : undefined
}

/** Every allowed function name, sorted (for messages). */
export function allowedFunctionNames(): string[] {
  return [...ALLOWED].sort()
}
