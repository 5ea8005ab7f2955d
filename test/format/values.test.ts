/** Values: canonical forms, comparisons against BigInt/Date semantics, transforms and literals. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isDvError } from '../../src/errors.js'
import {
  applyTransform,
  compareValues,
  formatDate,
  formatDecimal,
  formatFloat,
  formatTimestamp,
  parseLiteral,
  transformResultType,
  valueProblem,
  type PrimitiveType,
  type ValueType,
} from '../../src/format/index.js'
import { MAX_DAYS, MAX_MICROS, MIN_DAYS, MIN_MICROS, primitiveType, valueOf } from './arbitraries.js'

const sign = (n: number | bigint): number => (n > 0 ? 1 : n < 0 ? -1 : 0)
const micros = fc.bigInt({ min: MIN_MICROS, max: MAX_MICROS })
const days = fc.integer({ min: MIN_DAYS, max: MAX_DAYS })

describe('canonical forms', () => {
  it('every generated value of every type is canonical and survives parseLiteral unchanged', () => {
    const typed = fc.oneof(primitiveType, fc.constantFrom<ValueType>('month', 'year')).chain((type) => fc.tuple(fc.constant(type), valueOf(type)))
    fc.assert(
      fc.property(typed, ([type, text]) => {
        expect(valueProblem(type, text)).toBeUndefined()
        if (type !== 'month' && type !== 'year') expect(parseLiteral(type, text)).toBe(text)
      }),
    )
  })

  it.each<[ValueType, string]>([
    ['int', '2147483648'],
    ['int', '007'],
    ['long', '-0'],
    ['long', '9223372036854775808'],
    ['long', '+1'],
    ['double', '1.50'],
    ['double', '1E21'],
    ['double', '-0.0'],
    ['float', '0.1'],
    ['decimal(4,2)', '1.5'],
    ['decimal(4,2)', '123.45'],
    ['decimal(4,2)', '-0.00'],
    ['binary', 'ABCD'],
    ['binary', 'abc'],
    ['boolean', 'TRUE'],
    ['date', '2026-02-29'],
    ['date', '2026-1-02'],
    ['timestamp', '2026-01-02T03:04:05.000000Z'],
    ['timestamp', '2026-01-02T24:00:00.000000'],
    ['timestamptz', '2026-01-02T03:04:05.000000'],
    ['timestamptz', '2026-01-02T03:04:05.000Z'],
    ['month', '2026-13'],
    ['year', '26'],
  ])('%s rejects %s', (type, text) => {
    expect(valueProblem(type, text)).toBeDefined()
  })

  it.each<[ValueType, string]>([
    ['double', '-0'],
    ['double', 'NaN'],
    ['double', '-Infinity'],
    ['double', '1e+21'],
    ['float', '0.10000000149011612'],
    ['decimal(4,2)', '-0.50'],
    ['decimal(38,0)', '99999999999999999999999999999999999999'],
    ['date', '2024-02-29'],
    ['date', '0000-01-01'],
    ['timestamptz', '9999-12-31T23:59:59.999999Z'],
  ])('%s accepts %s', (type, text) => {
    expect(valueProblem(type, text)).toBeUndefined()
  })

  it('formats dates and timestamps like Date.toISOString', () => {
    fc.assert(
      fc.property(days, (d) => {
        expect(formatDate(d)).toBe(new Date(d * 86_400_000).toISOString().slice(0, 10))
      }),
    )
    fc.assert(
      fc.property(micros, (us) => {
        const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n)
        const iso = new Date(Number(ms)).toISOString()
        const sub = ((us % 1000n) + 1000n) % 1000n
        expect(formatTimestamp(us, true)).toBe(`${iso.slice(0, 23)}${String(sub).padStart(3, '0')}Z`)
        expect(formatTimestamp(us, false)).toBe(`${iso.slice(0, 23)}${String(sub).padStart(3, '0')}`)
      }),
    )
  })
})

describe('compareValues', () => {
  const consistent = <T>(type: ValueType, raw: fc.Arbitrary<T>, format: (v: T) => string, compare: (a: T, b: T) => number) =>
    fc.assert(fc.property(raw, raw, (a, b) => {
      expect(compareValues(type, format(a), format(b))).toBe(sign(compare(a, b)))
    }))

  it('long compares like BigInt', () => {
    consistent('long', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), String, (a, b) => sign(a - b))
  })
  it('decimal compares like its unscaled BigInt', () => {
    consistent('decimal(38,7)', fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), (n) => formatDecimal(n, 7), (a, b) => sign(a - b))
  })
  it('date and timestamps compare chronologically', () => {
    consistent('date', days, formatDate, (a, b) => a - b)
    consistent('timestamp', micros, (us) => formatTimestamp(us, false), (a, b) => sign(a - b))
    consistent('timestamptz', micros, (us) => formatTimestamp(us, true), (a, b) => sign(a - b))
  })
  it('doubles compare numerically, with -0 before 0 and NaN last', () => {
    const total = (a: number, b: number): number =>
      Number.isNaN(a) || Number.isNaN(b) ? Number(Number.isNaN(a)) - Number(Number.isNaN(b)) : a === b ? Number(Object.is(b, -0)) - Number(Object.is(a, -0)) : a - b
    consistent('double', fc.double(), formatFloat, total)
  })
  it('strings compare by code point, like their UTF-8 bytes', () => {
    consistent('string', fc.string({ unit: 'binary' }), (s) => s, (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    expect(compareValues('string', '\u{1F600}', '\uFFFD')).toBe(1) // UTF-16 order would say -1
  })
  it('null sorts first', () => {
    expect(compareValues('long', null, '-5')).toBe(-1)
    expect(compareValues('long', null, null)).toBe(0)
  })
})

describe('transforms', () => {
  it('day/month/year of a timestamptz are its UTC calendar fields', () => {
    fc.assert(
      fc.property(micros, (us) => {
        const text = formatTimestamp(us, true)
        const date = formatDate(Number((us - (((us % 86_400_000_000n) + 86_400_000_000n) % 86_400_000_000n)) / 86_400_000_000n))
        expect(applyTransform('day', 'timestamptz', text)).toBe(date)
        expect(applyTransform('month', 'timestamptz', text)).toBe(date.slice(0, 7))
        expect(applyTransform('year', 'timestamptz', text)).toBe(date.slice(0, 4))
        expect(applyTransform('day', 'timestamp', formatTimestamp(us, false))).toBe(date)
      }),
    )
  })

  it('a zoned literal lands on its UTC day; a wall-clock timestamp keeps its own day', () => {
    const tz = parseLiteral('timestamptz', '2026-03-01T00:30:00+01:00')
    expect(tz).toBe('2026-02-28T23:30:00.000000Z')
    expect(applyTransform('day', 'timestamptz', tz)).toBe('2026-02-28')
    expect(applyTransform('day', 'timestamp', parseLiteral('timestamp', '2026-03-01 00:30'))).toBe('2026-03-01')
  })

  it('result types and rejected combinations', () => {
    expect(transformResultType('identity', 'long')).toBe('long')
    expect(transformResultType('day', 'timestamptz')).toBe('date')
    expect(transformResultType('month', 'date')).toBe('string')
    expect(applyTransform('identity', 'long', null)).toBeNull()
    expect(() => applyTransform('day', 'string', 'x')).toThrow(/transform day does not apply to type string/)
    expect(() => applyTransform('day', 'date', '2026-02-30')).toThrow(/no such date/)
  })
})

describe('parseLiteral', () => {
  it.each<[PrimitiveType, string, string]>([
    ['long', ' +0042 ', '42'],
    ['boolean', 'TRUE', 'true'],
    ['decimal(6,2)', '1.5', '1.50'],
    ['decimal(6,2)', '-.5', '-0.50'],
    ['decimal(6,2)', '3.1400', '3.14'],
    ['double', '1E21', '1e+21'],
    ['double', '-inf', '-Infinity'],
    ['float', '0.1', '0.10000000149011612'],
    ['binary', 'DEADbeef', 'deadbeef'],
    ['timestamp', '2026-03-01', '2026-03-01T00:00:00.000000'],
    ['timestamp', '2026-03-01T12:34:56.7', '2026-03-01T12:34:56.700000'],
    ['timestamptz', '2026-03-01T00:00Z', '2026-03-01T00:00:00.000000Z'],
    ['timestamptz', '2026-03-01T00:00:00-0530', '2026-03-01T05:30:00.000000Z'],
  ])('%s %j -> %s', (type, text, canonical) => {
    expect(parseLiteral(type, text)).toBe(canonical)
  })

  it.each<[PrimitiveType, string]>([
    ['int', '2147483648'],
    ['long', '1.0'],
    ['decimal(6,2)', '1.234'],
    ['decimal(4,2)', '100.00'],
    ['double', 'one'],
    ['date', '2026-02-30'],
    ['timestamp', '2026-03-01T00:00:00Z'],
    ['timestamptz', '2026-03-01T00:00:00.0000001Z'],
    ['binary', 'xyz'],
  ])('%s rejects %j with INVALID_ARGUMENT', (type, text) => {
    expect(() => parseLiteral(type, text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    try {
      parseLiteral(type, text)
    } catch (e) {
      expect(isDvError(e, 'INVALID_ARGUMENT') && e.message.includes(JSON.stringify(text))).toBe(true)
    }
  })
})
