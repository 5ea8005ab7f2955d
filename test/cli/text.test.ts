/** The plain-text contract of cli/text.ts (what scripts read when stdout is not a TTY). */
import { describe, expect, it } from 'vitest'
import {
  alignColumns, compileLogFormat, formatCheckout, formatDecoration, formatLog, formatPartitionSpec, formatReflog, formatReset, formatRestoreBranch,
  formatStatus, formatTableChange, formatUnstage, formatWrite,
} from '../../cli/text.js'
import type { LogEntry, TableChange, WriteResult } from '../../src/index.js'

const A = 'abcdef0' + '1'.repeat(57)
const change: TableChange = { operation: 'append', addedFiles: 1, removedFiles: 0, addedRows: 1, removedRows: 0, addedBytes: 1, removedBytes: 0 }

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
    const staged: WriteResult = { table: 'e', branch: 'main', mode: 'append', rows: 2, files: 1, bytes: 9, removedRows: 0, removedFiles: 0, created: false, addedColumns: ['x', 'y'], staged: { id: 's' } }
    expect(formatWrite(staged)).toEqual(['staged append to e: 2 rows in 1 file (new columns: x, y)'])
    expect(formatCheckout({ branch: 'b', snapshot: A, created: true, detached: false })).toEqual(["switched to a new branch 'b'"])
    expect(formatCheckout({ branch: null, snapshot: A, created: false, detached: true })).toEqual(['HEAD is now at abcdef0 (detached)'])
    const entries: LogEntry[] = [
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

  it('formats the reflog like git, status with change ids, resets, restores and unstaging', () => {
    const B = 'bcdef01' + '2'.repeat(57)
    const line = { index: 0, previous: null, time: 'T', user: 'u', host: 'h' }
    expect(formatReflog({ ref: 'branches/main', name: 'main', current: null, entries: [
      { ...line, selector: 'main@{0}', snapshot: null, message: 'branch -d' },
      { ...line, index: 1, selector: 'main@{1}', snapshot: A, message: 'commit: load march' },
      { ...line, index: 2, selector: 'main@{2}', snapshot: B, time: null, user: null, host: null, message: '(before the oldest logged update)' },
    ] })).toEqual(['0000000 main@{0}: branch -d', 'abcdef0 main@{1}: commit: load march', 'bcdef01 main@{2}: (before the oldest logged update)'])
    const staged = { id: '1f3a9c2e-aaaa', table: 'events', mode: 'append' as const, rows: 2, files: 1, bytes: 9, creates: false }
    expect(formatStatus({ branch: 'main', head: A, detached: false, location: '/l', staged: [staged, { ...staged, id: '2b4d6f80-bbbb', table: 't', mode: 'overwrite', creates: true }] }))
      .toEqual(['On branch main', 'Changes to be committed:', '  1f3a9c2e  append     events  2 rows  1 file', '  2b4d6f80  overwrite  t       2 rows  1 file  (new table)'])
    expect(formatUnstage({ branch: 'main', unstaged: [staged] })).toEqual(['unstaged 1f3a9c2e append to events: 2 rows in 1 file'])
    expect(formatReset({ branch: 'main', mode: 'hard', snapshot: A, previous: B, dropped: 2, unstaged: 1 })).toEqual([
      'main is now at abcdef0 (was bcdef01)', '2 commits no longer on main: dv branch restore main@{1} brings them back', 'discarded 1 staged change',
    ])
    expect(formatReset({ branch: 'main', mode: 'mixed', snapshot: A, previous: A, dropped: 0, unstaged: 0 })).toEqual(['main stays at abcdef0'])
    expect(formatRestoreBranch({ branch: 'f', snapshot: A, previous: null, created: true, dropped: 0 })).toEqual(['re-created branch f at abcdef0'])
    expect(formatRestoreBranch({ branch: 'f', snapshot: A, previous: B, created: false, dropped: 1 }))
      .toEqual(['moved branch f from bcdef01 to abcdef0 (1 commit no longer on it: dv branch restore f@{1} undoes this)'])
  })
})
