/**
 * Golden fixtures: format-spec/examples/ must round-trip byte for byte and
 * keep their ids; test/fixtures/invalid/ must fail with the expected code.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DvError } from '../../src/errors.js'
import {
  hashBytes,
  parseConfig,
  parseExpiry,
  parseLease,
  parseManifest,
  parseReflogEntry,
  parseSettings,
  parseSnapshot,
  parseTableMetadata,
  serializeConfig,
  serializeExpiry,
  serializeLease,
  serializeManifest,
  serializeReflogEntry,
  serializeSettings,
  serializeSnapshot,
  serializeTableMetadata,
  summarizeManifest,
  validateManifest,
} from '../../src/format/index.js'

const EXAMPLES = join(import.meta.dirname, '../../format-spec/examples')
const INVALID = join(import.meta.dirname, '../fixtures/invalid')
const ids = JSON.parse(readFileSync(join(EXAMPLES, 'ids.json'), 'utf8')) as Record<string, string>
const expected = JSON.parse(readFileSync(join(INVALID, 'expected.json'), 'utf8')) as Record<string, string>
const read = (dir: string, name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)))
const eventsTable = parseTableMetadata(read(EXAMPLES, 'table-metadata.json'))
const nestedTable = parseTableMetadata(read(EXAMPLES, 'table-metadata-nested.json'))

/** Parses and re-serializes one object; the kind comes from the file name. */
function roundTrip(name: string, bytes: Uint8Array, what: string): Uint8Array {
  if (name.startsWith('config')) return serializeConfig(parseConfig(bytes, what))
  if (name.startsWith('snapshot')) return serializeSnapshot(parseSnapshot(bytes, what))
  if (name.startsWith('table-metadata')) return serializeTableMetadata(parseTableMetadata(bytes, what))
  if (name.startsWith('reflog')) return serializeReflogEntry(parseReflogEntry(bytes, what))
  if (name.startsWith('settings')) return serializeSettings(parseSettings(bytes, what))
  if (name.startsWith('expiry')) return serializeExpiry(parseExpiry(bytes, what))
  if (name.startsWith('lease')) return serializeLease(parseLease(bytes, what))
  if (name.startsWith('manifest')) {
    const manifest = parseManifest(bytes, what)
    validateManifest(manifest, name.startsWith('manifest-nested') ? nestedTable : eventsTable, what)
    return serializeManifest(manifest)
  }
  throw new Error(`no parser for ${name}`)
}

function caught(f: () => unknown): unknown {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error('expected an error')
}

describe('format-spec/examples', () => {
  const names = readdirSync(EXAMPLES).filter((n) => n.endsWith('.json') && n !== 'ids.json')

  it('lists every example in ids.json', () => {
    expect(Object.keys(ids).sort()).toEqual(names.sort())
  })

  it.each(names)('%s parses, re-serializes byte for byte and hashes to its id', (name) => {
    const bytes = read(EXAMPLES, name)
    expect(bytes.at(-1)).not.toBe(0x0a)
    expect(Buffer.from(roundTrip(name, bytes, name)).equals(Buffer.from(bytes))).toBe(true)
    expect(hashBytes(bytes)).toBe(ids[name])
  })

  it.each(names)('every strict byte prefix of %s is CORRUPT', (name) => {
    const bytes = read(EXAMPLES, name)
    for (let n = 0; n < bytes.length; n++) {
      const e = caught(() => roundTrip(name, bytes.subarray(0, n), `${name} prefix ${n}`))
      expect(e).toBeInstanceOf(DvError)
      expect((e as DvError).code).toBe('CORRUPT')
    }
  })

  it('is consistent: snapshot -> root and tables, table -> manifest, manifest bounds', () => {
    const snapshot = parseSnapshot(read(EXAMPLES, 'snapshot.json'))
    expect(snapshot.parents).toEqual([ids['snapshot-root.json']])
    expect(snapshot.tables).toEqual({ events: ids['table-metadata.json'], users: ids['table-metadata-unpartitioned.json'] })
    const manifest = parseManifest(read(EXAMPLES, 'manifest.json'))
    const ref = summarizeManifest(ids['manifest.json'] as never, manifest, eventsTable.partitionSpec, eventsTable.schema)
    expect(eventsTable.manifests).toEqual([ref])
    expect(snapshot.summary.events?.addedRows).toBe(ref.rows)
    expect(snapshot.summary.events?.addedBytes).toBe(ref.bytes)
  })

  it('is consistent: the compaction snapshot follows snapshot.json, keeps its rows and tables, and is dv:snapshot:v2', () => {
    const replace = parseSnapshot(read(EXAMPLES, 'snapshot-replace.json'))
    const before = parseSnapshot(read(EXAMPLES, 'snapshot.json'))
    expect(replace.parents).toEqual([ids['snapshot.json']])
    expect(replace.summary.events?.operation).toBe('replace')
    expect(replace.summary.events?.addedRows).toBe(replace.summary.events?.removedRows)
    expect(replace.summary.events?.removedBytes).toBe(before.summary.events?.addedBytes)
    expect(new TextDecoder().decode(read(EXAMPLES, 'snapshot-replace.json'))).toMatch(/"kind":"dv:snapshot:v2"/)
    expect(new TextDecoder().decode(read(EXAMPLES, 'snapshot.json'))).toMatch(/"kind":"dv:snapshot:v1"/)
  })

  it('is consistent: the nested table lists its manifest with matching bounds, and keeps kind v2', () => {
    const manifest = parseManifest(read(EXAMPLES, 'manifest-nested.json'))
    expect(nestedTable.manifests).toEqual([summarizeManifest(ids['manifest-nested.json'] as never, manifest, nestedTable.partitionSpec, nestedTable.schema)])
    expect(new TextDecoder().decode(read(EXAMPLES, 'table-metadata-nested.json'))).toMatch(/^\{"kind":"dv:table:v2",/)
    expect(new TextDecoder().decode(read(EXAMPLES, 'table-metadata.json'))).toMatch(/^\{"kind":"dv:table:v1",/)
  })

  it('is consistent: the keyed table is the events table with a key on id, as dv:table:v3', () => {
    const keyed = parseTableMetadata(read(EXAMPLES, 'table-metadata-keyed.json'))
    expect(keyed).toEqual({ ...eventsTable, properties: {}, identifierFieldIds: [1] })
    expect(new TextDecoder().decode(read(EXAMPLES, 'table-metadata-keyed.json'))).toMatch(/^\{"identifier-field-ids":\[1\],"kind":"dv:table:v3",/)
  })
})

describe('format-spec/examples: contract', () => {
  it('is the events table with a contract, as dv:table:v4, and its text is a valid contract', () => {
    const withContract = parseTableMetadata(read(EXAMPLES, 'table-metadata-contract.json'))
    const { contract, ...rest } = withContract
    expect(rest).toEqual(eventsTable)
    expect(contract?.format).toBe('odcs-v3.1.0')
    expect(new TextDecoder().decode(read(EXAMPLES, 'table-metadata-contract.json'))).toMatch(/^\{"contract":\{"format":"odcs-v3.1.0","text":"apiVersion: v3.1.0\\n/)
    expect(new TextDecoder().decode(read(EXAMPLES, 'table-metadata-contract.json'))).toMatch(/"kind":"dv:table:v4"/)
  })

  it('refuses a contract on a v1 kind, a v4 kind without one, and an unknown contract format as CORRUPT', () => {
    const text = new TextDecoder().decode(read(EXAMPLES, 'table-metadata-contract.json'))
    const bad = [
      text.replace('"kind":"dv:table:v4"', '"kind":"dv:table:v1"'),
      new TextDecoder().decode(read(EXAMPLES, 'table-metadata.json')).replace('"kind":"dv:table:v1"', '"kind":"dv:table:v4"'),
      text.replace('"format":"odcs-v3.1.0"', '"format":"odcs-v2"'),
      text.replace(/"text":"[^"]*"/, '"text":"  "'),
    ]
    for (const b of bad) {
      const e = caught(() => parseTableMetadata(new TextEncoder().encode(b)))
      expect((e as DvError).code).toBe('CORRUPT')
    }
  })
})

describe('format-spec/examples: settings', () => {
  it('protects main with both rules, is the first version, and its reflog entry creates the settings ref at it', () => {
    const settings = parseSettings(read(EXAMPLES, 'settings.json'))
    expect(settings).toEqual({
      parent: null, timeMs: 1767225600000, author: 'ann@build-01', message: 'branch protect main --require-checks --require-merge',
      protectedBranches: { main: { requireChecks: true, requireMerge: true } },
    })
    const entry = parseReflogEntry(read(EXAMPLES, 'reflog-entry-settings.json'))
    expect(entry).toMatchObject({ ref: 'settings', old: null, new: ids['settings.json'], message: settings.message })
  })

  it('refuses to write a setting this dv does not know, or a rule for a bad branch name', () => {
    const settings = parseSettings(read(EXAMPLES, 'settings.json'))
    const unknown = { ...settings, protectedBranches: { main: { requireChecks: true, requireMerge: true, requireSignatures: true } } }
    expect(serializeSettings(unknown as never)).toEqual(read(EXAMPLES, 'settings.json')) // unknown keys of the type are not written
    const e = caught(() => serializeSettings({ ...settings, protectedBranches: { 'a..b': { requireChecks: false, requireMerge: false } } }))
    expect((e as DvError).code).toBe('INVALID_ARGUMENT')
  })
})

describe('format-spec/examples: retention', () => {
  it('adds retention to the protected settings as dv:settings:v2, and an expiry record lists the root snapshot by main\'s policy', () => {
    const settings = parseSettings(read(EXAMPLES, 'settings-retention.json'))
    expect(settings.parent).toBe(ids['settings.json'])
    expect(settings.protectedBranches).toEqual(parseSettings(read(EXAMPLES, 'settings.json')).protectedBranches)
    expect(settings.retention).toEqual({ default: { keepDays: 90, keepLast: null }, branches: { main: { keepDays: 30, keepLast: 10 } } })
    expect(new TextDecoder().decode(read(EXAMPLES, 'settings-retention.json'))).toMatch(/"kind":"dv:settings:v2"/)
    const record = parseExpiry(read(EXAMPLES, 'expiry.json'))
    expect(record.expired).toEqual({ [ids['snapshot-root.json']!]: { branch: 'main', keepDays: 30, keepLast: 10, timeMs: record.timeMs } })
  })

  it('writes settings without retention as v1, byte for byte, and refuses retention on v1 or an empty one on v2 as CORRUPT', () => {
    const settings = parseSettings(read(EXAMPLES, 'settings.json'))
    expect(serializeSettings({ ...settings, retention: { default: null, branches: {} } })).toEqual(read(EXAMPLES, 'settings.json'))
    const text = new TextDecoder().decode(read(EXAMPLES, 'settings-retention.json'))
    for (const bad of [text.replace('dv:settings:v2', 'dv:settings:v1'), text.replace(/"retention":\{.*\}\},"time-ms"/, '"retention":{"branches":{},"default":null},"time-ms"')]) {
      expect(bad).not.toBe(text)
      expect((caught(() => parseSettings(new TextEncoder().encode(bad))) as DvError).code).toBe('CORRUPT')
    }
  })
})

describe('format-spec/*.md', () => {
  const SPEC = join(EXAMPLES, '..')
  const blocks = readdirSync(SPEC)
    .filter((n) => n.endsWith('.md'))
    .flatMap((n) => [...readFileSync(join(SPEC, n), 'utf8').matchAll(/```json\n([^`]*)\n```/g)].map((m, i): [string, string] => [`${n} block ${i + 1}`, m[1]!]))

  it('has json blocks', () => {
    expect(blocks.length).toBeGreaterThan(0)
  })

  it.each(blocks)('%s is a valid canonical object, identical to its example file', (where, text) => {
    const bytes = new TextEncoder().encode(text)
    const kind = (JSON.parse(text) as { kind: string }).kind
    const name = { 'dv:config:v1': 'config.json', 'dv:snapshot:v1': 'snapshot.json', 'dv:snapshot:v2': 'snapshot-replace.json', 'dv:snapshot:v3': 'snapshot-lineage.json', 'dv:table:v1': 'table-metadata.json', 'dv:table:v2': 'table-metadata-nested.json', 'dv:table:v3': 'table-metadata-keyed.json', 'dv:table:v4': 'table-metadata-contract.json', 'dv:manifest:v1': 'manifest.json', 'dv:reflog:v1': 'reflog-entry.json', 'dv:settings:v1': 'settings.json', 'dv:settings:v2': 'settings-retention.json', 'dv:expiry:v1': 'expiry.json', 'dv:lease:v1': 'lease.json' }[kind]
    expect(name).toBeDefined()
    expect(Buffer.from(roundTrip(name!, bytes, where)).equals(Buffer.from(bytes))).toBe(true)
    expect(Object.keys(ids)).toContain(Object.keys(ids).find((n) => ids[n] === hashBytes(bytes)))
  })
})

describe('test/fixtures/invalid', () => {
  const names = readdirSync(INVALID).filter((n) => n !== 'expected.json')

  it('lists every fixture in expected.json', () => {
    expect(Object.keys(expected).sort()).toEqual(names.sort())
  })

  it.each(names)('%s is rejected with its expected code, naming the object', (name) => {
    const what = `fixture ${name}`
    const e = caught(() => roundTrip(name, read(INVALID, name), what))
    expect(e).toBeInstanceOf(DvError)
    expect({ code: (e as DvError).code, message: (e as DvError).message }).toEqual({ code: expected[name], message: expect.stringContaining(what) })
  })
})
