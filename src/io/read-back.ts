/**
 * The last check before a data file is published: DuckDB, the reader of
 * every scan, reads it back, and the rows it finds must be the rows its
 * manifest entry will record. Cheap by design (a footer read and one row
 * group, however large the file):
 *  1. the footer's row groups add up to the manifest's row count, and every
 *     column chunk uses a codec and encoding DuckDB decodes (parquet-layout.ts);
 *  2. a real read of the first row group, every column: the row count DuckDB
 *     finds there is the footer's, and one value per column comes back
 *     (`first()` makes DuckDB decode the pages; `count(col)` would not: it is
 *     answered from the statistics when they say the column has no nulls).
 * A file that fails is CORRUPT (or UNSUPPORTED), named, and nothing is
 * published, staged or committed.
 */
import { DvError } from '../errors.js'
import type { WrittenFile } from './types.js'
import { DAMAGED_HINT, Duck, UNDECODABLE_HINT, damagedInputCode, duckMessage, isRowNumberClash, quoteLiteral, toDvError } from './duck.js'
import { describeUndecodable, footerContradiction, readParquetLayout } from './parquet-layout.js'

export async function readBack(duck: Duck, files: WrittenFile[]): Promise<void> {
  for (const file of files) await readBackFile(duck, file)
}

async function readBackFile(duck: Duck, file: WrittenFile): Promise<void> {
  let layout
  try {
    layout = await readParquetLayout(duck, file.path)
  } catch (e) {
    throw unreadable(file, e)
  }
  const contradiction = footerContradiction(layout, what(file))
  if (contradiction) throw contradiction
  if (layout.undecodable.length) {
    throw failed(file, 'UNSUPPORTED', `DuckDB cannot decode ${describeUndecodable(layout.undecodable)}`)
  }
  const footerRows = layout.rowGroupRows.reduce((a, b) => a + b, 0)
  if (footerRows !== file.rows) {
    throw failed(file, 'CORRUPT', `its row groups hold ${footerRows} rows but its manifest entry would record ${file.rows}`)
  }
  if (footerRows === 0) return
  const firstGroup = layout.rowGroupRows[0]
  // Every column of the file, nested ones whole (file.columns also names the fields inside them).
  const select = 'count(*) AS n, first(COLUMNS(*))'
  const path = quoteLiteral(file.path)
  let row
  try {
    try {
      ;[row] = await duck.all(`SELECT ${select} FROM read_parquet(${path}, file_row_number=true) WHERE file_row_number < ${firstGroup}`)
    } catch (e) {
      if (!isRowNumberClash(e)) throw e
      // A column named file_row_number hides DuckDB's: read the first rows in file order instead.
      ;[row] = await duck.all(`SELECT ${select} FROM (SELECT * FROM read_parquet(${path}) LIMIT ${firstGroup})`)
    }
  } catch (e) {
    throw unreadable(file, e)
  }
  if (Number(row.n) !== firstGroup) {
    throw failed(file, 'CORRUPT', `its first row group holds ${Number(row.n)} readable rows but its footer says ${firstGroup}`)
  }
}

function what(file: WrittenFile): string {
  return file.temporary ? `data file ${file.path} (written by dv)` : file.path
}

/** A damaged or undecodable file is named as such; any other failure (disk, memory) keeps its own code. */
function unreadable(file: WrittenFile, e: unknown): DvError {
  const code = damagedInputCode(e)
  if (!code) return toDvError(e, `cannot read back ${what(file)}`, { details: { file: file.path } })
  return failed(file, code, `DuckDB cannot read it back: ${duckMessage(e)}`, e)
}

function failed(file: WrittenFile, code: 'CORRUPT' | 'UNSUPPORTED', why: string, cause?: unknown): DvError {
  return new DvError(code, `${what(file)} cannot be committed: ${why}`, {
    cause,
    hint: code === 'UNSUPPORTED'
      ? UNDECODABLE_HINT
      : DAMAGED_HINT,
    details: { file: file.path, rows: file.rows },
  })
}
