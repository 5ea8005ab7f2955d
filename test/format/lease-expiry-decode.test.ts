/**
 * Leases (format-spec/gc.md) and expiry records (format-spec/expiry.md) as
 * parsed from bytes: the spec's examples read as written, a lease's lists
 * are written sorted and deduplicated, and each rule of either object, broken
 * once, is CORRUPT naming the JSON path (or the message) of what broke it.
 */
import { describe, expect, it } from 'vitest'
import { canonicalize } from '../../src/format/canonical-json.js'
import { parseExpiry, parseLease, serializeExpiry, serializeLease } from '../../src/format/index.js'
import type { ObjectId, SnapshotId } from '../../src/ids.js'
import { DELETE, changed, example, refusal, type Json } from './decode-support.js'

const hex = (c: string) => c.repeat(64) as ObjectId

describe('leases', () => {
  const lease = example('lease.json')

  it('reads the spec example as written', () => {
    expect(parseLease(canonicalize(lease))).toEqual({
      holder: lease.holder, ttlMs: lease['ttl-ms'], snapshots: lease.snapshots, tables: lease.tables, manifests: lease.manifests, objects: lease.objects,
    })
  })

  it('writes each list sorted and without duplicates, and reads it back', () => {
    const written = serializeLease({
      holder: 'h', ttlMs: 1, snapshots: [hex('b'), hex('a'), hex('b')] as string[] as SnapshotId[], tables: [hex('c'), hex('c')], manifests: [], objects: [hex('f'), hex('0')],
    })
    expect(parseLease(written)).toEqual({ holder: 'h', ttlMs: 1, snapshots: [hex('a'), hex('b')], tables: [hex('c')], manifests: [], objects: [hex('0'), hex('f')] })
  })

  const defects: Array<[string, string[], unknown, string]> = [
    ['holder empty', ['holder'], '', '$.holder'],
    ['holder missing', ['holder'], DELETE, '$.holder'],
    ['ttl-ms zero', ['ttl-ms'], 0, '$.ttl-ms'],
    ['ttl-ms a string', ['ttl-ms'], '5', '$.ttl-ms'],
    ['snapshots not a list', ['snapshots'], {}, '$.snapshots'],
    ['a snapshot id not hex', ['snapshots'], ['x'], '$.snapshots[0]'],
    ['snapshots out of order', ['snapshots'], [hex('b'), hex('a')], '$.snapshots[1]'],
    ['a snapshot twice', ['snapshots'], [hex('a'), hex('a')], '$.snapshots[1]'],
    ['tables out of order', ['tables'], [hex('1'), hex('3'), hex('2')], '$.tables[2]'],
    ['a manifest twice', ['manifests'], [hex('d'), hex('d')], '$.manifests[1]'],
    ['an object id not hex', ['objects'], [hex('a'), 'nope'], '$.objects[1]'],
    ['objects out of order', ['objects'], [hex('e'), hex('0')], '$.objects[1]'],
    ['an unknown key', ['extra'], 1, '$.extra'],
  ]
  it.each(defects)('refuses a lease with %s, naming %s', (_, path, change, expected) => {
    expect(refusal(parseLease, changed(lease, path, change)).path).toBe(expected)
  })

  it('says what is wrong with an unsorted list', () => {
    expect(refusal(parseLease, changed(lease, ['tables'], [hex('2'), hex('1')])).message).toMatch(/ids must be sorted, without duplicates/)
  })

  it('refuses to write a lease that breaks a rule', () => {
    expect(() => serializeLease({ holder: '', ttlMs: 1, snapshots: [], tables: [], manifests: [], objects: [] })).toThrow(/\$\.holder/)
  })
})

describe('expiry records', () => {
  const record = example('expiry.json')
  const id = Object.keys(record.expired as Json)[0]!

  it('reads the spec example as written', () => {
    const e = (record.expired as Record<string, Json>)[id]!
    expect(parseExpiry(canonicalize(record))).toEqual({
      parent: null, timeMs: record['time-ms'], author: record.author, message: record.message,
      expired: { [id]: { branch: e.branch, keepDays: e['keep-days'], keepLast: e['keep-last'], timeMs: e['time-ms'] } },
    })
  })

  it('reads a parent, a snapshot no branch held and a rule of one limit', () => {
    const read = parseExpiry(canonicalize({
      ...record, parent: hex('9'), expired: { [id]: { branch: null, 'keep-days': null, 'keep-last': 1, 'time-ms': 0 } },
    }))
    expect(read.parent).toBe(hex('9'))
    expect(read.expired[id]).toEqual({ branch: null, keepDays: null, keepLast: 1, timeMs: 0 })
  })

  it('writes what it reads', () => {
    const read = parseExpiry(canonicalize(record))
    expect(parseExpiry(serializeExpiry(read))).toEqual(read)
  })

  const at = (key: string) => ['expired', id, key]
  const defects: Array<[string, string[], unknown, string]> = [
    ['parent not an id', ['parent'], 'HEAD', '$.parent'],
    ['time-ms negative', ['time-ms'], -1, '$.time-ms'],
    ['time-ms missing', ['time-ms'], DELETE, '$.time-ms'],
    ['author empty', ['author'], '', '$.author'],
    ['message empty', ['message'], '', '$.message'],
    ['expired a list', ['expired'], [], '$.expired'],
    ['an expired key not an id', ['expired', 'main'], { branch: null, 'keep-days': 1, 'keep-last': null, 'time-ms': 0 }, '$.expired.main'],
    ['a branch name git refuses', at('branch'), 'a..b', `$.expired.${id}.branch`],
    ['a branch a number', at('branch'), 7, `$.expired.${id}.branch`],
    ['keep-days zero', at('keep-days'), 0, `$.expired.${id}.keep-days`],
    ['keep-last a string', at('keep-last'), '10', `$.expired.${id}.keep-last`],
    ['an entry time-ms negative', at('time-ms'), -5, `$.expired.${id}.time-ms`],
    ['an entry after the record', at('time-ms'), 1769904000001, `$.expired.${id}.time-ms`],
    ['both limits null', ['expired', id], { branch: 'main', 'keep-days': null, 'keep-last': null, 'time-ms': 0 }, `$.expired.${id}`],
  ]
  it.each(defects)('refuses a record with %s, naming %s', (_, path, change, expected) => {
    expect(refusal(parseExpiry, changed(record, path, change)).path).toBe(expected)
  })

  it('says what is wrong', () => {
    expect(refusal(parseExpiry, changed(record, ['expired', id], { branch: 'main', 'keep-days': null, 'keep-last': null, 'time-ms': 0 })).message)
      .toMatch(/keep-days and keep-last cannot both be null/)
    expect(refusal(parseExpiry, changed(record, at('time-ms'), 1769904000001)).message).toMatch(/is after the record's time-ms 1769904000000/)
    expect(refusal(parseExpiry, changed(record, at('branch'), 'a..b')).message).toMatch(/invalid branch name "a\.\.b"/)
  })
})
