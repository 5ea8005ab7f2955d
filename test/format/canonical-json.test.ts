/** Canonical JSON: the exact byte form, and what it refuses to write or read. */
import { describe, expect, it } from 'vitest'
import { canonicalize, parseCanonical } from '../../src/format/index.js'

const text = (v: unknown): string => new TextDecoder().decode(canonicalize(v))
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('canonicalize', () => {
  it('sorts keys by UTF-16 code units and writes no whitespace', () => {
    expect(text({ b: 1, a: [true, null, 'x'], B: {}, '\u{1F600}': 0, '\uFFFD': 0, '10': 0, '9': 0 })).toBe(
      '{"10":0,"9":0,"B":{},"a":[true,null,"x"],"b":1,"\u{1F600}":0,"\uFFFD":0}',
    )
  })

  it('escapes like JSON.stringify and keeps everything else literal', () => {
    expect(text('"\\\b\t\n\f\r\u0000\u001f\u007f é\u2028')).toBe('"\\"\\\\\\b\\t\\n\\f\\r\\u0000\\u001f\u007f é\u2028"')
  })

  it('does not normalise unicode', () => {
    expect(text('e\u0301')).not.toBe(text('\u00e9'))
  })

  it.each([
    ['a float', { n: 1.5 }, '$.n'],
    ['an unsafe integer', [2 ** 53], '$[0]'],
    ['-0', { a: { b: -0 } }, '$.a.b'],
    ['undefined', { x: undefined }, '$.x'],
    ['a lone surrogate', { s: 'a\ud800' }, '$.s'],
    ['a lone surrogate key', { 'k\udc00': 1 }, '$["k\\udc00"]'],
    ['a bigint', { n: 1n }, '$.n'],
    ['a Date', { d: new Date(0) }, '$.d'],
    ['NaN', [Number.NaN], '$[0]'],
  ])('refuses %s, naming the path', (_, value, path) => {
    expect(() => canonicalize(value)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(path) }))
  })
})

describe('parseCanonical', () => {
  it('accepts canonical bytes', () => {
    expect(parseCanonical(bytes('{"a":[1,-2,"\\u0001"],"b":null}'), 'x')).toEqual({ a: [1, -2, '\u0001'], b: null })
  })

  it.each([
    ['whitespace', '{"a": 1}'],
    ['key order', '{"b":1,"a":2}'],
    ['duplicate keys', '{"a":1,"a":1}'],
    ['a trailing newline', '{"a":1}\n'],
    ['a fraction', '{"a":1.0}'],
    ['an exponent', '{"a":1e3}'],
    ['a rounded big number', '{"a":9007199254740993}'],
    ['an escaped solidus', '{"a":"\\/"}'],
    ['an unneeded escape', '{"a":"\\u0041"}'],
    ['an uppercase escape', '{"a":"\\u001F"}'],
    ['an escaped lone surrogate', '{"a":"\\udc00"}'],
    // each of these is what JSON.stringify writes back for what it parses to: only the canonical rules refuse it
    ['a fraction JSON.stringify keeps', '{"a":1.5}'],
    ['an exponent JSON.stringify keeps', '{"a":1e+21}'],
    ['an escaped lone surrogate key', '{"\\udc00":1}'],
    ['keys in another order at depth', '{"a":{"c":1,"b":2}}'],
    ['not json', '{"a":'],
    ['nothing', ''],
  ])('rejects %s as CORRUPT naming the object', (_, input) => {
    expect(() => parseCanonical(bytes(input), 'manifest 3f9a2c1')).toThrow(
      expect.objectContaining({ code: 'CORRUPT', message: expect.stringMatching(/^manifest 3f9a2c1 is corrupt: /) }),
    )
  })

  it('rejects a byte order mark and invalid utf-8', () => {
    expect(() => parseCanonical(new Uint8Array([0xef, 0xbb, 0xbf, 0x31]), 'x')).toThrow(/byte order mark/)
    expect(() => parseCanonical(new Uint8Array([0x22, 0xc3, 0x28, 0x22]), 'x')).toThrow(/not valid utf-8/)
  })

  it('accepts keys that JSON.stringify writes in another order (integer-like keys first), and 32 levels but not 33', () => {
    expect(parseCanonical(bytes('{"10":0,"9":0,"B":{},"a":[]}'), 'x')).toEqual({ 10: 0, 9: 0, B: {}, a: [] })
    expect(parseCanonical(bytes('['.repeat(32) + ']'.repeat(32)), 'x')).toHaveLength(1)
    expect(() => parseCanonical(bytes('['.repeat(33) + ']'.repeat(33)), 'x')).toThrow(/nested deeper/)
  })

  it('rejects hostile nesting without overflowing the stack', () => {
    expect(() => parseCanonical(bytes('['.repeat(5000) + ']'.repeat(5000)), 'x')).toThrow(/nested deeper/)
  })
})
