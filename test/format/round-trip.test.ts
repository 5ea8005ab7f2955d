/** Property tests: serialize/parse round trips, key-order independence, and rejection of damaged bytes. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DvError } from '../../src/errors.js'
import {
  canonicalize,
  parseCanonical,
  parseManifest,
  parseSnapshot,
  parseTableMetadata,
  parseConfig,
  serializeManifest,
  serializeSnapshot,
  serializeTableMetadata,
  serializeConfig,
} from '../../src/format/index.js'
import { manifest, snapshot, tableMetadata } from './arbitraries.js'

describe('round trips', () => {
  it('snapshots', () => {
    fc.assert(
      fc.property(snapshot, (s) => {
        const bytes = serializeSnapshot(s)
        expect(parseSnapshot(bytes)).toEqual(s)
        expect(serializeSnapshot(parseSnapshot(bytes))).toEqual(bytes)
      }),
    )
  })

  it('table metadata', () => {
    fc.assert(
      fc.property(tableMetadata, (t) => {
        const bytes = serializeTableMetadata(t)
        expect(parseTableMetadata(bytes)).toEqual(t)
      }),
    )
  })

  it('manifests', () => {
    fc.assert(
      fc.property(manifest, (m) => {
        const bytes = serializeManifest(m)
        expect(parseManifest(bytes)).toEqual(m)
      }),
    )
  })

  it('canonical json of any json value, whatever the key order of the input', () => {
    const value = fc.jsonValue().filter((v) => {
      try {
        canonicalize(v)
        return true
      } catch {
        return false // floats, -0, unsafe integers
      }
    })
    fc.assert(
      fc.property(value, fc.integer(), (v, seed) => {
        const bytes = canonicalize(v)
        expect(canonicalize(shuffleKeys(v, seed))).toEqual(bytes)
        expect(parseCanonical(bytes, 'value')).toEqual(v)
        const text = new TextDecoder().decode(bytes)
        expect(text).toBe(referenceCanonical(v))
      }),
    )
  })
})

/** The same value with every object's keys inserted in another order. */
function shuffleKeys(v: unknown, seed: number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, seed))
  if (v === null || typeof v !== 'object') return v
  const entries = Object.entries(v)
  const rotated = entries.map((_, i) => entries[(i + Math.abs(seed)) % entries.length]!).reverse()
  return Object.fromEntries(rotated.map(([k, x]) => [k, shuffleKeys(x, seed)]))
}

/** An independent serializer: sorted keys, JSON.stringify for leaves (integer-like keys defeat property order). */
function referenceCanonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(referenceCanonical).join(',')}]`
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  const o = v as Record<string, unknown>
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${referenceCanonical(o[k])}`)
    .join(',')}}`
}

const EXAMPLES = join(import.meta.dirname, '../../format-spec/examples')
const PARSERS: Array<[string, (b: Uint8Array) => Uint8Array]> = [
  ['config.json', (b) => serializeConfig(parseConfig(b, 'config'))],
  ['snapshot.json', (b) => serializeSnapshot(parseSnapshot(b, 'snapshot'))],
  ['snapshot-replace.json', (b) => serializeSnapshot(parseSnapshot(b, 'snapshot'))],
  ['snapshot-root.json', (b) => serializeSnapshot(parseSnapshot(b, 'snapshot'))],
  ['table-metadata.json', (b) => serializeTableMetadata(parseTableMetadata(b, 'table metadata'))],
  ['manifest.json', (b) => serializeManifest(parseManifest(b, 'manifest'))],
  ['table-metadata-nested.json', (b) => serializeTableMetadata(parseTableMetadata(b, 'table metadata'))],
  ['manifest-nested.json', (b) => serializeManifest(parseManifest(b, 'manifest'))],
]

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(...Buffer.from('{}[]",:0123456789-.e ntfu\\')) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
)

type Mutation = { op: "flip"; at: number; bit: number } | { op: "set"; at: number; byte: number } | { op: "delete"; at: number; length: number } | { op: "insert"; at: number; bytes: Uint8Array }

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const out = Buffer.from(bytes)
  const at = m.at % bytes.length
  if (m.op === 'flip') out[at] = out[at]! ^ (1 << m.bit)
  if (m.op === 'set') out[at] = m.byte
  if (m.op === 'delete') return new Uint8Array(Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]))
  if (m.op === 'insert') return new Uint8Array(Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]))
  return new Uint8Array(out)
}

describe('damaged bytes', () => {
  it.each(PARSERS)('%s: every mutation is rejected with a DvError or still round-trips exactly', (name, roundTrip) => {
    const original = new Uint8Array(readFileSync(join(EXAMPLES, name)))
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const bytes = ms.reduce(mutate, original)
        let out: Uint8Array
        try {
          out = roundTrip(bytes)
        } catch (e) {
          expect(e).toBeInstanceOf(DvError)
          expect(['CORRUPT', 'UNSUPPORTED']).toContain((e as DvError).code)
          return
        }
        expect(Buffer.from(out).equals(Buffer.from(bytes))).toBe(true)
      }),
      { numRuns: 400 },
    )
  })

  it('arbitrary json is rejected with a DvError, never a TypeError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const bytes = new TextEncoder().encode(JSON.stringify(v) ?? '')
        for (const parse of [parseSnapshot, parseTableMetadata, parseManifest, parseConfig]) {
          try {
            parse(bytes, 'value')
          } catch (e) {
            expect(e).toBeInstanceOf(DvError)
          }
        }
      }),
    )
  })
})
