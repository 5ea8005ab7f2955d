/** Values of the types added with table kind v2: time, nanosecond timestamps, uuid, fixed(L). */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyTransform,
  compareValues,
  formatTime,
  formatTimestamp,
  formatTimestampNanos,
  formatUuid,
  isTransformAllowed,
  parseLiteral,
  timestampToNanos,
  timeToMicros,
  valueProblem,
  widenValue,
  type PrimitiveType,
  type ValueType,
} from '../../src/format/index.js'
import { MICROS_PER_DAY } from '../../src/format/value-text.js'

const sign = (n: number | bigint): number => (n > 0 ? 1 : n < 0 ? -1 : 0)
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n }

describe('nanosecond timestamps', () => {
  it('format exactly with 9 digits and read back to the same bigint, beyond 2^53', () => {
    fc.assert(
      fc.property(fc.bigInt(INT64), fc.boolean(), (ns, zone) => {
        const text = formatTimestampNanos(ns, zone)
        expect(text).toMatch(/\.[0-9]{9}Z?$/)
        expect(valueProblem(zone ? 'timestamptz_ns' : 'timestamp_ns', text)).toBeUndefined()
        expect(timestampToNanos(text)).toBe(ns)
      }),
    )
    expect(formatTimestampNanos(1_767_323_045_123_456_789n, true)).toBe('2026-01-02T03:04:05.123456789Z')
    expect(formatTimestampNanos(-1n, false)).toBe('1969-12-31T23:59:59.999999999')
    expect(formatTimestampNanos(2n ** 63n - 1n, false)).toBe('2262-04-11T23:47:16.854775807')
    expect(formatTimestampNanos(-(2n ** 63n), false)).toBe('1677-09-21T00:12:43.145224192')
  })

  it('compare like their bigint nanoseconds', () => {
    fc.assert(
      fc.property(fc.bigInt(INT64), fc.bigInt(INT64), (a, b) => {
        expect(compareValues('timestamptz_ns', formatTimestampNanos(a, true), formatTimestampNanos(b, true))).toBe(sign(a - b))
      }),
    )
  })

  it('day/month/year cut the UTC calendar fields, like the microsecond ones', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }), (ns) => {
        const nanos = formatTimestampNanos(ns, true)
        const micros = formatTimestamp(ns / 1000n - (ns % 1000n < 0n ? 1n : 0n), true)
        for (const t of ['day', 'month', 'year'] as const) expect(applyTransform(t, 'timestamptz_ns', nanos)).toBe(applyTransform(t, 'timestamptz', micros))
      }),
    )
  })
})

describe('time', () => {
  it('formats microseconds since midnight and reads them back', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: MICROS_PER_DAY - 1n }), (us) => {
        expect(timeToMicros(formatTime(us))).toBe(us)
      }),
    )
    expect(formatTime(0)).toBe('00:00:00.000000')
    expect(formatTime(86_399_999_999n)).toBe('23:59:59.999999')
    expect(() => formatTime(MICROS_PER_DAY)).toThrow(/not a time of day/)
    expect(compareValues('time', '09:00:00.000000', '10:00:00.000000')).toBe(-1)
  })
})

describe('uuid and fixed', () => {
  it('uuid is lowercase 8-4-4-4-12 and orders like its bytes', () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i * 17)
    expect(formatUuid(bytes)).toBe('00112233-4455-6677-8899-aabbccddeeff')
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (a, b) => {
        expect(compareValues('uuid', formatUuid(a), formatUuid(b))).toBe(sign(Buffer.compare(Buffer.from(a), Buffer.from(b))))
      }),
    )
  })

  it('fixed(L) is lowercase hex of exactly L bytes', () => {
    expect(valueProblem('fixed(2)', '00ff')).toBeUndefined()
    expect(valueProblem('fixed(2)', '00')).toMatch(/exactly 2 bytes/)
    expect(compareValues('fixed(2)', '00ff', '0100')).toBe(-1)
  })
})

describe('invalid texts of the new types', () => {
  it.each<[ValueType, string]>([
    ['time', '24:00:00.000000'],
    ['time', '12:00:00'],
    ['time', '12:00:00.000000000'],
    ['timestamp_ns', '2026-01-02T03:04:05.000000'],
    ['timestamp_ns', '2026-01-02T03:04:05.000000000Z'],
    ['timestamptz_ns', '2026-01-02T03:04:05.000000000'],
    ['timestamp_ns', '2262-04-11T23:47:16.854775808'],
    ['timestamp_ns', '1677-09-21T00:12:43.145224191'],
    ['uuid', '00112233-4455-6677-8899-AABBCCDDEEFF'],
    ['uuid', '00112233445566778899aabbccddeeff'],
    ['fixed(16)', '00112233'],
    ['fixed(1)', 'FF'],
  ])('%s rejects %s', (type, text) => {
    expect(valueProblem(type, text)).toBeDefined()
  })
})

describe('literals of the new types', () => {
  it.each<[PrimitiveType, string, string]>([
    ['time', '09:30', '09:30:00.000000'],
    ['time', '23:59:59.5', '23:59:59.500000'],
    ['time', '12:00:00.123456000', '12:00:00.123456'],
    ['timestamp_ns', '2026-01-02 03:04:05.1', '2026-01-02T03:04:05.100000000'],
    ['timestamptz_ns', '2026-01-02T00:30:00.123456789+01:00', '2026-01-01T23:30:00.123456789Z'],
    ['timestamptz_ns', '2262-04-12T00:47:16.854775807+01:00', '2262-04-11T23:47:16.854775807Z'],
    ['uuid', '{00112233-4455-6677-8899-AABBCCDDEEFF}', '00112233-4455-6677-8899-aabbccddeeff'],
    ['uuid', '00112233445566778899AABBCCDDEEFF', '00112233-4455-6677-8899-aabbccddeeff'],
    ['fixed(2)', 'ABcd', 'abcd'],
  ])('%s %s -> %s', (type, text, canonical) => {
    expect(parseLiteral(type, text)).toBe(canonical)
  })

  it.each<[PrimitiveType, string, RegExp]>([
    ['time', '9:30', /expected HH:MM/],
    ['time', '12:00:00.1234567', /more precise than microseconds/],
    ['timestamp_ns', '2026-01-02T00:00:00.1234567891', /expected/],
    ['timestamp_ns', '2026-01-02T00:00:00Z', /has no time zone/],
    ['timestamp_ns', '2300-01-01', /nanosecond range/],
    ['uuid', '0011', /8-4-4-4-12/],
    ['fixed(2)', 'abc', /4 hex digits/],
  ])('%s %s is refused', (type, text, message) => {
    expect(() => parseLiteral(type, text)).toThrow(message)
  })
})

describe('partition transforms on the new types', () => {
  it.each<[PrimitiveType, string[]]>([
    ['uuid', ['identity']],
    ['fixed(4)', ['identity']],
    ['time', ['identity']],
    ['timestamp_ns', ['identity', 'day', 'month', 'year']],
    ['timestamptz_ns', ['identity', 'day', 'month', 'year']],
  ])('%s allows %j', (type, allowed) => {
    for (const t of ['identity', 'day', 'month', 'year'] as const) expect(isTransformAllowed(t, type)).toBe(allowed.includes(t))
  })

  it('never applies to nested types', () => {
    for (const t of ['identity', 'day', 'month', 'year'] as const) {
      expect(isTransformAllowed(t, { type: 'struct', fields: [{ id: 1, name: 'a', type: 'date', required: false }] })).toBe(false)
      expect(isTransformAllowed(t, { type: 'list', elementId: 1, element: 'date', elementRequired: false })).toBe(false)
    }
  })
})

describe('statistics of a column promoted from date', () => {
  it('a date means midnight in a timestamp or timestamp_ns column', () => {
    expect(widenValue('timestamp', '2026-01-02')).toBe('2026-01-02T00:00:00.000000')
    expect(widenValue('timestamp_ns', '2026-01-02')).toBe('2026-01-02T00:00:00.000000000')
    expect(widenValue('long', '5')).toBe('5')
    expect(compareValues('timestamp', '2026-01-02', '2026-01-02T00:00:00.000000')).toBe(0)
    expect(compareValues('timestamp', '2026-01-02', '2026-01-01T23:00:00.000000')).toBe(1)
  })
})
