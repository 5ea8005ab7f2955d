/**
 * parseManifest takes a well-formed data file entry as JSON.parse built it
 * (no copy) and sends anything else to the decoder that names the problem.
 * Every structural defect of an entry, at every place, must still be CORRUPT
 * naming its path, and every accepted variant must read as what was written.
 * (Fractions and unsafe integers never get this far: canonical JSON refuses them.)
 */
import { describe, expect, it } from 'vitest'
import { canonicalize } from '../../src/format/canonical-json.js'
import { parseManifest } from '../../src/format/index.js'
import { changed, DELETE, refusal, type Json } from './decode-support.js'

const ID = 'a'.repeat(64)

function entry(): Json {
  return {
    bytes: 100,
    columns: {
      1: { max: '9', min: '1', name: 'id', nulls: 0 },
      2: { name: 'note', nulls: 2 },
      3: { max: 'z', name: 'tag', nulls: 0 },
    },
    format: 'parquet',
    id: ID,
    partition: { 1000: '2026-01-02', 1001: null },
    rows: 3,
  }
}

const manifest = (file: unknown, others: unknown[] = []) => ({ files: [...others, file], kind: 'dv:manifest:v1' })
const manifestBytes = (file: unknown, others: unknown[] = []): Uint8Array => canonicalize(manifest(file, others))

/** The path parseManifest names when it refuses `file`, the second entry of a manifest. */
const corruptPath = (file: unknown): string => refusal(parseManifest, manifest(file, [entry()])).path

/** A copy of entry() changed at `path` by `change`. */
const variant = (path: string[], change: unknown): Json => changed(entry(), path, change)

describe('manifest entries', () => {
  it('reads a well-formed entry as written, alone and beside others', () => {
    const file = entry()
    expect(parseManifest(manifestBytes(file)).files).toEqual([file])
    expect(parseManifest(manifestBytes(file, [entry(), entry()])).files).toEqual([file, file, file])
  })

  // A well-formed entry is the object JSON.parse built, not a copy: its keys keep the manifest's (sorted) order,
  // where a decoded copy lists id, format, rows, bytes, partition, columns. Each entry here is at an edge of a
  // rule, so a fast check stricter than the decoder (correct, but copying again) shows here.
  const edges: Array<[string, Json]> = [
    ['as written', entry()],
    ['no rows, no bytes', { ...variant(['rows'], 0), bytes: 0, columns: { 1: { name: 'id', nulls: 0 } } }],
    ['every value null', variant(['columns', '2', 'nulls'], 3)],
    ['the first partition field id and the first column id', { ...entry(), partition: { 1000: null }, columns: { 1: { name: 'id', nulls: 0 } } }],
    ['the largest field ids', { ...entry(), partition: { 2147483647: 'x' }, columns: { 2147483647: { max: 'b', min: 'a', name: 'x', nulls: 1 } } }],
    ['ten-digit field ids', { ...entry(), partition: { 1000000000: 'x' }, columns: { 1000000000: { min: 'a', name: 'x', nulls: 0 } } }],
    ['empty partition and columns', { ...entry(), partition: {}, columns: {} }],
    ['empty strings as min, max and partition value', { ...entry(), partition: { 1000: '' }, columns: { 1: { max: '', min: '', name: 'x', nulls: 0 } } }],
  ]
  it.each(edges)('takes a well-formed entry as parsed: %s', (_, file) => {
    const [read] = parseManifest(manifestBytes(file)).files
    expect(read).toEqual(file)
    expect(Object.keys(read!)).toEqual(['bytes', 'columns', 'format', 'id', 'partition', 'rows'])
    // (a decoded column lists name, nulls, min, max: out of order when it has a min or max)
    for (const column of Object.values(read!.columns)) expect(Object.keys(column)).toEqual(Object.keys(column).sort())
  })

  it('reads the optional parts left out', () => {
    for (const file of [variant(['columns'], {}), variant(['partition'], {}), variant(['columns', '1', 'min'], DELETE), variant(['columns', '1', 'max'], DELETE)]) {
      expect(parseManifest(manifestBytes(file)).files).toEqual([file])
    }
  })

  const defects: Array<[string, string[], unknown, string]> = [
    ['id missing', ['id'], DELETE, '$.files[1].id'],
    ['id not hex', ['id'], 'A'.repeat(64), '$.files[1].id'],
    ['id short', ['id'], 'a'.repeat(63), '$.files[1].id'],
    ['id a number', ['id'], 7, '$.files[1].id'],
    ['format other', ['format'], 'orc', '$.files[1].format'],
    ['format missing', ['format'], DELETE, '$.files[1].format'],
    ['rows negative', ['rows'], -1, '$.files[1].rows'],
    ['rows a string', ['rows'], '3', '$.files[1].rows'],
    ['rows missing', ['rows'], DELETE, '$.files[1].rows'],
    ['bytes negative', ['bytes'], -5, '$.files[1].bytes'],
    ['bytes null', ['bytes'], null, '$.files[1].bytes'],
    ['an unknown key', ['extra'], 1, '$.files[1].extra'],
    ['partition an array', ['partition'], [], '$.files[1].partition'],
    ['partition null', ['partition'], null, '$.files[1].partition'],
    ['partition keyed by name', ['partition', 'day'], '2026-01-02', '$.files[1].partition.day'],
    ['partition key below 1000', ['partition', '999'], 'x', '$.files[1].partition.999'],
    ['partition key with a leading zero', ['partition', '01000'], 'x', '$.files[1].partition.01000'],
    ['partition key beyond 2^31-1', ['partition', '2147483648'], 'x', '$.files[1].partition.2147483648'],
    ['partition value a number', ['partition', '1000'], 20260102, '$.files[1].partition.1000'],
    ['columns an array', ['columns'], [], '$.files[1].columns'],
    ['column key 0', ['columns', '0'], { name: 'x', nulls: 0 }, '$.files[1].columns.0'],
    ['column key by name', ['columns', 'id'], { name: 'id', nulls: 0 }, '$.files[1].columns.id'],
    ['column not an object', ['columns', '1'], 'id', '$.files[1].columns.1'],
    ['column null', ['columns', '1'], null, '$.files[1].columns.1'],
    ['column an array', ['columns', '1'], [], '$.files[1].columns.1'],
    ['column with an unknown key beside min and max', ['columns', '1', 'mean'], '5', '$.files[1].columns.1.mean'],
    ['partition key with a trailing space', ['partition', '1000 '], 'x', '$.files[1].partition["1000 "]'],
    ['partition key of eleven digits', ['partition', '10000000000'], 'x', '$.files[1].partition.10000000000'],
    ['column key beyond 2^31-1', ['columns', '2147483648'], { name: 'x', nulls: 0 }, '$.files[1].columns.2147483648'],
    ['column name a number', ['columns', '1', 'name'], 5, '$.files[1].columns.1.name'],
    ['column nulls a string', ['columns', '1', 'nulls'], '0', '$.files[1].columns.1.nulls'],
    ['partition value an object', ['partition', '1000'], {}, '$.files[1].partition.1000'],
    ['partition value true', ['partition', '1000'], true, '$.files[1].partition.1000'],
    ['format a number', ['format'], 1, '$.files[1].format'],
    ['bytes a string', ['bytes'], '100', '$.files[1].bytes'],
    ['column name empty', ['columns', '1', 'name'], '', '$.files[1].columns.1.name'],
    ['column name missing', ['columns', '1', 'name'], DELETE, '$.files[1].columns.1.name'],
    ['column nulls missing', ['columns', '1', 'nulls'], DELETE, '$.files[1].columns.1.nulls'],
    ['column nulls above rows', ['columns', '1', 'nulls'], 4, '$.files[1].columns.1.nulls'],
    ['column nulls negative', ['columns', '1', 'nulls'], -1, '$.files[1].columns.1.nulls'],
    ['column min a number', ['columns', '1', 'min'], 1, '$.files[1].columns.1.min'],
    ['column max null', ['columns', '1', 'max'], null, '$.files[1].columns.1.max'],
    ['column with an unknown key', ['columns', '1', 'count'], 3, '$.files[1].columns.1.count'],
  ]
  it.each(defects)('refuses an entry with %s, naming its path', (_, path, change, expected) => {
    expect(corruptPath(variant(path, change))).toBe(expected)
  })

  it('refuses an entry that is not an object', () => {
    for (const file of [null, 'file', 3, [entry()]]) expect(corruptPath(file)).toBe('$.files[1]')
  })
})
