/** Ink views render plain results from props alone; assertions on the rendered frame. */
import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import type { CommitResult, DiffResult, LogEntry, ShowResult, StatusResult, WriteResult } from '../../src/index.js'
import { CommitView, WriteView } from '../../cli/views/Commit.js'
import { DiffView } from '../../cli/views/Diff.js'
import { count, formatDiff, formatDiffStat } from '../../cli/diff-text.js'
import { LogView } from '../../cli/views/Log.js'
import { MessageView } from '../../cli/views/Message.js'
import { formatDuration, progressFigures, ProgressView } from '../../cli/views/Progress.js'
import { ReflogView } from '../../cli/views/Reflog.js'
import { RefsView } from '../../cli/views/Refs.js'
import { ShowView } from '../../cli/views/Show.js'
import { StatusView } from '../../cli/views/Status.js'

const A = '3f9a2c1' + 'a'.repeat(57)
const B = '0b1c2d3' + 'b'.repeat(57)
const change = { operation: 'append' as const, addedFiles: 3, removedFiles: 0, addedRows: 1000, removedRows: 0, addedBytes: 5000, removedBytes: 0 }
const commit: CommitResult = {
  snapshot: A, branch: 'main', parents: [B], timestamp: '2026-01-05T10:00:00.000Z', message: 'load january\n\ndetails',
  tables: { events: change }, idempotentReplay: false,
}
const entry = (snapshot: string, message: string, refs: string[]): LogEntry => ({
  snapshot, parents: [], timestamp: '2026-01-05T10:00:00.000Z', author: 'ana@host', message, tables: { events: change }, refs,
})

describe('views', () => {
  it('CommitView shows branch, short id, first message line and per-table changes', () => {
    const frame = render(<CommitView commit={commit} color={false} />).lastFrame()!
    expect(frame.split('\n')).toEqual(['[main 3f9a2c1] load january', '  events: +1000 rows, +3 files'])
    const replay = render(<CommitView commit={{ ...commit, idempotentReplay: true }} color={false} />).lastFrame()!
    expect(replay).toContain('idempotency key already committed')
  })

  it('WriteView shows staged writes and removed rows of an overwrite', () => {
    const staged: WriteResult = { table: 'events', branch: 'main', mode: 'append', rows: 1, files: 1, bytes: 10, removedRows: 0, removedFiles: 0, created: true, addedColumns: [], staged: { id: 'x' } }
    const overwrite: WriteResult = {
      ...staged, mode: 'overwrite', staged: undefined,
      commit: { ...commit, message: 'rewrite', tables: { events: { ...change, operation: 'overwrite', removedRows: 3500, removedFiles: 4 } } },
    }
    const lines = render(<WriteView writes={[staged, overwrite]} color={true} />).lastFrame()!.split('\n')
    expect(lines[0]).toContain('staged append to events: 1 row in 1 file (new table)')
    expect(lines[1]).toContain('rewrite')
    expect(lines[2]).toMatch(/events: .*\+1000 rows, \+3 files.*, .*-3500 rows, -4 files/)
  })

  it('StatusView shows the branch and aligned staged changes, or nothing staged', () => {
    const status: StatusResult = {
      branch: 'main', head: A, detached: false, location: '/x/.dv',
      staged: [
        { id: '1f3a9c2e-0000-4000-8000-000000000001', table: 'events', mode: 'append', rows: 1000, files: 3, bytes: 1, creates: true },
        { id: '2b4d6f80-0000-4000-8000-000000000002', table: 'users_long_name', mode: 'overwrite', rows: 1, files: 1, bytes: 1, creates: false },
      ],
    }
    const lines = render(<StatusView status={status} color={false} />).lastFrame()!.split('\n')
    expect(lines[0]).toBe('On branch main')
    expect(lines[1]).toBe('Changes to be committed:')
    expect(lines[2]).toMatch(/^ {2}1f3a9c2e +append +events +1000 rows +3 files +\(new table\)$/)
    expect(lines[3]).toMatch(/^ {2}2b4d6f80 +overwrite +users_long_name +1 row +1 file$/)
    expect(lines[2]!.indexOf('1000')).toBe(lines[3]!.indexOf('1 row'))
    const detached = render(<StatusView status={{ ...status, branch: null, detached: true, staged: [] }} color={false} />).lastFrame()!
    expect(detached.split('\n')).toEqual(['HEAD detached at 3f9a2c1', 'nothing staged (use "dv write TABLE FILE" to stage a change)'])
  })

  it('LogView decorates refs and tags, one line each with oneline', () => {
    const entries = [entry(A, 'more events', ['main', 'tag: v1']), entry(B, 'initial load', [])]
    const oneline = render(<LogView entries={entries} oneline={true} color={false} />).lastFrame()!
    expect(oneline.split('\n')).toEqual(['3f9a2c1 (main, tag: v1) more events', '0b1c2d3 initial load'])
    const full = render(<LogView entries={entries} oneline={false} color={false} />).lastFrame()!
    expect(full).toContain(`snapshot ${A} (main, tag: v1)`)
    expect(full).toContain('Author: ana@host')
    expect(full).toContain('Date:   2026-01-05T10:00:00.000Z')
    expect(full).toContain('    initial load')
    expect(full).toContain('    events: +1000 rows, +3 files')
  })

  it('ReflogView renders the same lines as the plain text, a deletion as 0000000', () => {
    const line = { previous: null, time: 'T', user: 'u', host: 'h' }
    const reflog = { ref: 'branches/main', name: 'main', current: A, entries: [
      { ...line, index: 0, selector: 'main@{0}', snapshot: A, message: 'reset --hard main~1' },
      { ...line, index: 1, selector: 'main@{1}', snapshot: null, message: 'branch -d' },
    ] }
    expect(render(<ReflogView reflog={reflog} color={true} />).lastFrame()!.replace(/\u001b\[[0-9;]*m/g, '').split('\n'))
      .toEqual(['3f9a2c1 main@{0}: reset --hard main~1', '0000000 main@{1}: branch -d'])
  })

  it('ShowView renders a schema table with stats, partition spec and properties', () => {
    const show: ShowResult = {
      commit: entry(A, 'more events', ['main']),
      tables: { events: { rows: 3500, files: 4, bytes: 9000 } },
      table: {
        name: 'events', tableId: 'tid-1', snapshot: A, rows: 3500, files: 4, bytes: 9000, manifests: 2,
        partitionSpec: [{ name: 'ts_day', transform: 'day', source: 'ts' }],
        columns: [
          { id: 1, name: 'id', path: 'id', type: 'long', required: false, min: '0', max: '3499', nulls: 0 },
          { id: 2, name: 'kind', path: 'kind', type: 'string', required: false, nulls: 7 },
        ],
        properties: { owner: 'data-eng' },
        primaryKey: ['id'],
      },
    }
    const lines = render(<ShowView show={show} color={false} />).lastFrame()!.split('\n').map((l) => l.trimEnd())
    expect(lines[0]).toBe('table events at 3f9a2c1 (table id tid-1)')
    expect(lines).toContain('rows 3500  files 4  bytes 9000  manifests 2')
    expect(lines).toContain('partition spec: day(ts)')
    expect(lines.find((l) => l.includes('required'))).toMatch(/^ {2}id +name +type +required +min +max +nulls$/)
    expect(lines.find((l) => l.includes('3499'))).toMatch(/^ {2}1 +id +long +no +0 +3499 +0$/)
    expect(lines.find((l) => l.includes('kind'))).toMatch(/^ {2}2 +kind +string +no +- +- +7$/)
    expect(lines).toContain('  owner = data-eng')
    expect(lines).toContain('primary key: id')
    const commitOnly = render(<ShowView show={{ ...show, table: undefined }} color={false} />).lastFrame()!
    expect(commitOnly).toContain('tables at 3f9a2c1:')
    expect(commitOnly).toMatch(/events +3500 rows +4 files +9000 bytes/)
  })

  it('RefsView marks the current branch; MessageView and ProgressView render their text', () => {
    const refs = [{ name: 'backfill', snapshot: B, current: false }, { name: 'main', snapshot: A, current: true }]
    expect(render(<RefsView refs={refs} kind="branch" color={false} />).lastFrame()!.split('\n'))
      .toEqual(['  backfill  0b1c2d3', '* main      3f9a2c1'])
    expect(render(<RefsView refs={[{ name: 'v1', snapshot: A }]} kind="tag" color={false} />).lastFrame()).toBe('v1  3f9a2c1')
    expect(render(<MessageView before="created branch " subject="x" after=" at 3f9a2c1" color={true} />).lastFrame())
      .toContain('x')
    const bar = render(<ProgressView label="writing a.csv to events" rows={1200} bytesRead={50} bytesTotal={100} color={false} width={10} />).lastFrame()
    expect(bar).toBe('writing a.csv to events [#####.....]  50%  50 B of 100 B  1200 rows')
    expect(render(<ProgressView label="reading" rows={7} color={false} />).lastFrame()).toBe('reading 7 rows')
  })

  it('DiffView and the plain diff text show status, counts, schema, partitions and columns', () => {
    const diff: DiffResult = {
      from: { rev: 'v1', snapshot: B, staged: false },
      to: { rev: 'HEAD', snapshot: A, staged: true },
      tables: [{
        table: 'events', status: 'modified', tableId: { before: 't', after: 't' },
        rows: { before: 5000, after: 5894, added: 1204, removed: 310 }, files: { before: 9, after: 11, added: 3, removed: 1 },
        bytes: { before: 1, after: 2, added: 3, removed: 4 },
        schema: [{ change: 'renamed', id: 6, path: 'payload.user.full_name', from: 'payload.user.name', to: 'payload.user.full_name' }],
        partitions: [{ values: { ts_day: '2026-03-02' }, rowsAdded: 1204, rowsRemoved: 310, filesAdded: 3, filesRemoved: 1 }],
        columns: [{ id: 1, path: 'id', nulls: { added: 0, removed: 2 }, added: { min: '7', max: '99' }, removed: { min: '5', max: '5' } }],
        properties: [{ key: 'owner', before: null, after: 'data-eng' }],
      }, {
        table: 'users', status: 'created', tableId: { before: null, after: 'u' },
        rows: { before: 0, after: 2, added: 2, removed: 0 }, files: { before: 0, after: 1, added: 1, removed: 0 },
        bytes: { before: 0, after: 1, added: 1, removed: 0 }, schema: [], partitions: [], columns: [], properties: [],
      }],
    }
    const text = formatDiff(diff)
    const frame = render(<DiffView diff={diff} color={false} />).lastFrame()!.split('\n').map((l) => l.trimEnd())
    for (const lines of [text, frame]) {
      expect(lines[0]).toBe('diff 0b1c2d3..staged')
      expect(lines).toContain('table events: +1,204 -310 rows, +3 -1 files; rows 5,000 -> 5,894')
      expect(lines).toContain('    renamed payload.user.name -> payload.user.full_name (id 6)')
      expect(lines.find((l) => l.includes('ts_day'))).toMatch(/^ {4}ts_day=2026-03-02 +\+1,204 -310 rows +\+3 -1 files$/)
      expect(lines.find((l) => l.includes('99'))).toMatch(/^ {4}id +1 +7\.\.99 +5 +\+0 -2$/)
      expect(lines).toContain('    owner: (none) -> data-eng')
      expect(lines).toContain('table users (created): +2 -0 rows, +1 -0 files; rows 0 -> 2')
    }
    expect(formatDiffStat(diff)).toEqual(['events | +1,204 -310 rows, +3 -1 files', 'users  | +2 -0 rows, +1 -0 files (created)'])
    expect(formatDiff({ ...diff, tables: [] })).toEqual(['diff 0b1c2d3..staged', 'no changes'])
    expect([0, 999, 1000, 1234567, 1e12].map(count)).toEqual(['0', '999', '1,000', '1,234,567', '1,000,000,000,000'])
  })

  it('ProgressView shows bytes read, the rate and an ETA as the input is read; stdin shows bytes read', () => {
    const frame = (p: { bytesRead?: number; bytesTotal?: number; elapsedMs?: number; rows?: number }) =>
      render(<ProgressView label="writing big.csv to t" rows={p.rows ?? 0} {...p} color={false} width={10} />).lastFrame()
    // frames of a 200 MB write at 20 MB/s
    expect(frame({ bytesRead: 0, bytesTotal: 200e6, elapsedMs: 100 })).toBe('writing big.csv to t [..........]   0%  0 B of 200.0 MB')
    expect(frame({ bytesRead: 60e6, bytesTotal: 200e6, elapsedMs: 3000 })).toBe('writing big.csv to t [###.......]  30%  60.0 MB of 200.0 MB  20.0 MB/s  ETA 7s')
    expect(frame({ bytesRead: 150e6, bytesTotal: 200e6, elapsedMs: 7500 })).toBe('writing big.csv to t [########..]  75%  150.0 MB of 200.0 MB  20.0 MB/s  ETA 3s')
    expect(frame({ bytesRead: 200e6, bytesTotal: 200e6, elapsedMs: 10_000, rows: 4_000_000 })).toBe('writing big.csv to t [##########] 100%  200.0 MB of 200.0 MB  20.0 MB/s  4000000 rows')
    // stdin while it arrives: no total, no bar, no ETA
    expect(frame({ bytesRead: 1.5e9, elapsedMs: 60_000 })).toBe('writing big.csv to t 1.50 GB read  25.0 MB/s')
    expect(progressFigures({ bytesRead: 10e6, bytesTotal: 200e6, elapsedMs: 400 })).toEqual({})
    expect(formatDuration(3725)).toBe('1h02m')
    expect(formatDuration(125)).toBe('2m05s')
  })
})
