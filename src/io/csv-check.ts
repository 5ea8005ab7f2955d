/**
 * Finds the first CSV record whose field count differs from the header's,
 * honouring double-quoted fields. Used only to explain a failure: when
 * DuckDB's sniffer rejects a file it does not say which line is ragged.
 */
import { createReadStream } from 'node:fs'

export interface RaggedRecord {
  line: number
  expected: number
  found: number
}

export async function findRaggedRecord(path: string, delimiter = ','): Promise<RaggedRecord | undefined> {
  const delim = delimiter.charCodeAt(0)
  let line = 1
  let recordLine = 1
  let fields = 1
  let fieldChars = 0
  let inQuotes = false
  let pendingQuote = false
  let expected: number | undefined
  const finish = (): RaggedRecord | undefined => {
    const empty = fields === 1 && fieldChars === 0
    if (!empty) {
      if (expected === undefined) expected = fields
      else if (fields !== expected) return { line: recordLine, expected, found: fields }
    }
    fields = 1
    fieldChars = 0
    recordLine = line
    return undefined
  }
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]
      if (inQuotes) {
        if (c === 0x22) { inQuotes = false; pendingQuote = true } else if (c === 0x0a) line++
        continue
      }
      if (c === 0x22) {
        if (pendingQuote) inQuotes = true // "" inside a quoted field
        else if (fieldChars === 0) inQuotes = true
        fieldChars++
        pendingQuote = false
        continue
      }
      pendingQuote = false
      if (c === delim) { fields++; fieldChars = 0; continue }
      if (c === 0x0a) {
        line++
        const bad = finish()
        if (bad) return bad
        continue
      }
      if (c !== 0x0d) fieldChars++
    }
  }
  return finish()
}
