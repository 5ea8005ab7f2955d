/**
 * Where SQL statements end, for the `dv query` shell (cli/query-shell.ts): at
 * each `;` outside string literals ('...', "...", $tag$...$tag$) and comments
 * (-- to the end of the line, /* ... *\/). The engine parses what runs; this
 * only decides when the text typed so far holds a whole statement, so that a
 * statement may span lines and `'a;'` does not end one.
 */

export interface SplitStatements {
  /** The complete statements, without their `;`, trimmed; statements of only blanks and comments are left out. */
  statements: string[]
  /** The text after the last `;`. */
  rest: string
  /** Whether `rest` holds more than blanks and comments, or an unterminated literal or block comment: a statement goes on. */
  pending: boolean
}

const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y

/** The dollar-quote tag (`$$`, `$body$`) that starts at `at`, if one does (`$1` is a parameter, not a tag). */
function dollarTag(text: string, at: number): string | undefined {
  DOLLAR_TAG.lastIndex = at
  return DOLLAR_TAG.test(text) ? text.slice(at, DOLLAR_TAG.lastIndex) : undefined
}

export function splitStatements(text: string): SplitStatements {
  const statements: string[] = []
  let start = 0
  let significant = false
  let i = 0
  const unterminated = (): SplitStatements => ({ statements, rest: text.slice(start), pending: true })
  while (i < text.length) {
    const c = text[i]
    if (c === "'" || c === '"') {
      // a doubled quote inside ('it''s') ends one literal and opens the next: the same for finding `;`
      const end = text.indexOf(c, i + 1)
      if (end < 0) return unterminated()
      significant = true
      i = end + 1
    } else if (c === '$' && dollarTag(text, i)) {
      const tag = dollarTag(text, i)!
      const end = text.indexOf(tag, i + tag.length)
      if (end < 0) return unterminated()
      significant = true
      i = end + tag.length
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i)
      i = end < 0 ? text.length : end + 1
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      if (end < 0) return unterminated()
      i = end + 2
    } else if (c === ';') {
      if (significant) statements.push(text.slice(start, i).trim())
      start = i + 1
      significant = false
      i++
    } else {
      if (!/\s/.test(c)) significant = true
      i++
    }
  }
  return { statements, rest: text.slice(start), pending: significant }
}
