/** The plain-text contract of cli/text.ts (what scripts read when stdout is not a TTY). */
import { describe, expect, it } from 'vitest'
import {
  alignColumns, compileLogFormat, formatCheckout, formatDecoration, formatLog, formatPartitionSpec, formatStatus, formatTableChange, formatWrite,
} from '../../cli/text.js'

const A = 'abcdef0' + '1'.repeat(57)
const change = { operation: 'append', addedFiles: 1, removedFiles: 0, addedRows: 1, removedRows: 0, addedBytes: 1, removedBytes: 0 }

describe('plain text', () => {
  it('formats table changes with plurals and removals, no thousands separators', () => {
    expect(formatTableChange('events', { ...change, addedRows: 1234567, addedFiles: 3 })).toBe('events: +1234567 rows, +3 files')
    expect(formatTableChange('t', change)).toBe('t: +1 row, +1 file')
    expect(formatTableChange('t', { ...change, operation: 'overwrite', removedRows: 5, removedFiles: 2 })).toBe('t: +1 row, +1 file, -5 rows, -2 files')
    expect(formatTableChange('t', { ...change, operation: 'delete', addedRows: 0, addedFiles: 0, removedRows: 5, removedFiles: 1 })).toBe('t: -5 rows, -1 file (delete)')
    expect(formatTableChange('t', { ...change, operation: 'schema', addedRows: 0, addedFiles: 0 })).toBe('t: +0 rows, +0 files (schema)')
    expect(formatTableChange('t', { ...change, operation: 'create' })).toBe('t: +1 row, +1 file (new table)')
  })

  it('decorates refs like git, mapping tag prefixes', () => {
    expect(formatDecoration([])).toBe('')
    expect(formatDecoration(['main', 'tag: v1', 'tags/v2', 'branches/x'])).toBe(' (main, tag: v1, tag: v2, x)')
  })

  it('aligns columns and trims trailing blanks', () => {
    expect(alignColumns([['a', 'bbb', ''], ['cccc', 'd', 'e']])).toEqual(['a     bbb', 'cccc  d    e'])
  })

  it('formats status, staged writes, checkout, log and partition specs', () => {
    const status = { branch: 'main', head: A, detached: false, location: '/l', staged: [] }
    expect(formatStatus(status)).toEqual(['On branch main', 'nothing staged (use "dv write TABLE FILE" to stage a change)'])
    expect(formatStatus({ ...status, branch: null, detached: true })[0]).toBe('HEAD detached at abcdef0')
    const staged = { table: 'e', branch: 'main', mode: 'append' as const, rows: 2, files: 1, bytes: 9, created: false, addedColumns: ['x', 'y'], staged: { id: 's' } }
    expect(formatWrite(staged)).toEqual(['staged append to e: 2 rows in 1 file (new columns: x, y)'])
    expect(formatCheckout({ branch: 'b', snapshot: A, created: true, detached: false })).toEqual(["switched to a new branch 'b'"])
    expect(formatCheckout({ branch: null, snapshot: A, created: false, detached: true })).toEqual(['HEAD is now at abcdef0 (detached)'])
    const entries = [
      { snapshot: A, parents: [], timestamp: 'T1', author: 'me', message: 'two\n\nbody', tables: {}, refs: ['main'] },
      { snapshot: A, parents: [], timestamp: 'T0', author: 'me', message: 'one', tables: { t: change as never }, refs: [] },
    ]
    expect(formatLog(entries, true)).toEqual(['abcdef0 (main) two', 'abcdef0 one'])
    expect(formatLog(entries, false)).toEqual([
      `snapshot ${A} (main)`, 'Author: me', 'Date:   T1', '', '    two', '', '    body',
      '', `snapshot ${A}`, 'Author: me', 'Date:   T0', '', '    one', '', '    t: +1 row, +1 file',
    ])
    expect(formatPartitionSpec([])).toBe('unpartitioned')
    expect(formatPartitionSpec([{ name: 'c', transform: 'identity', source: 'country' }, { name: 'd', transform: 'month', source: 'ts' }])).toBe('country, month(ts)')
  })

  it('dv log --format expands git-style placeholders, and names an unknown one', () => {
    const entry = {
      snapshot: A, parents: ['b'.repeat(64), 'c'.repeat(64)], timestamp: '2026-03-01T00:00:00.000Z', author: 'Ann <a@x>',
      message: 'load march\n\nbody', tables: {}, refs: ['main', 'tag: v1'],
    }
    const line = compileLogFormat('%h %H|%s|%an|%ad|%at|%p|%P|%d|100%%%n')
    expect(typeof line).toBe('function')
    expect((line as (e: typeof entry) => string)(entry)).toBe(
      `abcdef0 ${A}|load march|Ann <a@x>|2026-03-01T00:00:00.000Z|1772323200|bbbbbbb ccccccc|${'b'.repeat(64)} ${'c'.repeat(64)}| (main, tag: v1)|100%\n`,
    )
    expect(compileLogFormat('%h %q')).toEqual({ unknown: '%q' })
    expect(compileLogFormat('%')).toEqual({ unknown: '%' })
  })
})
