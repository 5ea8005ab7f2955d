/**
 * Snapshots (format-spec/snapshot.md) and table metadata
 * (format-spec/table-metadata.md) as parsed from bytes: each rule, broken
 * once on a spec example, is CORRUPT naming the JSON path of what broke it
 * and saying why. (The invalid fixtures under test/fixtures/invalid cover
 * whole objects; these are the per-field paths.)
 */
import { describe, expect, it } from 'vitest'
import { canonicalize } from '../../src/format/canonical-json.js'
import { parseSnapshot, parseTableMetadata } from '../../src/format/index.js'
import { DELETE, changed, example, refusal, type Json } from './decode-support.js'

const hex = (c: string) => c.repeat(64)

type Defect = [string, string[], unknown, string, RegExp?]

describe('snapshots', () => {
  const v1 = example('snapshot.json')
  const v3 = example('snapshot-lineage.json')

  it('reads the lineage example with every part', () => {
    const s = parseSnapshot(canonicalize(v3))
    expect(s.lineage?.code).toEqual({ commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904', dirty: false, branch: 'main', repository: 'https://github.com/acme/pipelines.git' })
    expect(s.lineage?.inputs).toHaveLength(2)
    expect(s.lineage?.meta).toEqual({ 'airflow-run-id': 'scheduled__2026-01-03T00:00:00+00:00' })
  })

  it('reads lineage with only a commit, or only meta', () => {
    const code = parseSnapshot(canonicalize(changed(v3, ['lineage'], { code: { commit: hex('a').slice(0, 40) } })))
    expect(code.lineage).toEqual({ code: { commit: hex('a').slice(0, 40) } })
    const meta = parseSnapshot(canonicalize(changed(v3, ['lineage'], { meta: { k: 'v' } })))
    expect(meta.lineage).toEqual({ meta: { k: 'v' } })
  })

  const defects: Array<[string, Json, string[], unknown, string, RegExp?]> = [
    ['lineage empty', v3, ['lineage'], {}, '$.lineage', /at least one of code, inputs and meta/],
    ['a commit that is not a Git id', v3, ['lineage', 'code', 'commit'], 'HEAD', '$.lineage.code.commit', /Git commit id/],
    ['a commit id in upper case', v3, ['lineage', 'code', 'commit'], 'A'.repeat(40), '$.lineage.code.commit'],
    ['dirty a string', v3, ['lineage', 'code', 'dirty'], 'no', '$.lineage.code.dirty'],
    ['a branch empty', v3, ['lineage', 'code', 'branch'], '', '$.lineage.code.branch'],
    ['a repository empty', v3, ['lineage', 'code', 'repository'], '', '$.lineage.code.repository'],
    ['inputs empty', v3, ['lineage', 'inputs'], [], '$.lineage.inputs', /written as no inputs field/],
    ['an input table name invalid', v3, ['lineage', 'inputs', '1', 'table'], 'no/slash', '$.lineage.inputs[1].table'],
    ['an input name empty', v3, ['lineage', 'inputs', '0', 'name'], '', '$.lineage.inputs[0].name'],
    ['an input size negative', v3, ['lineage', 'inputs', '0', 'bytes'], -1, '$.lineage.inputs[0].bytes'],
    ['an input hash not hex', v3, ['lineage', 'inputs', '0', 'sha256'], 'x', '$.lineage.inputs[0].sha256'],
    ['a meta key empty', v3, ['lineage', 'meta'], { '': 'v' }, '$.lineage.meta[""]', /meta key must not be empty/],
    ['meta empty', v3, ['lineage', 'meta'], {}, '$.lineage.meta', /written as no meta field/],
    ['an unknown operation', v1, ['summary', 'events', 'operation'], 'merge-ish', '$.summary.events.operation', /unknown operation "merge-ish"/],
    ['a parent not an id', v1, ['parents'], ['main'], '$.parents[0]'],
    ['a parent twice', v1, ['parents'], [hex('a'), hex('a')], '$.parents[1]', /duplicate parent/],
    ['a table name invalid', v1, ['tables', 'a b'], hex('c'), '$.tables["a b"]', /invalid table name "a b"/],
    ['a summary of a table not listed', v1, ['tables', 'users'], DELETE, '$.summary.users', /changed but is not listed/],
    ['a summary table name invalid', v1, ['summary', 'a b'], { 'added-bytes': 0, 'added-files': 0, 'added-rows': 0, operation: 'create', 'removed-bytes': 0, 'removed-files': 0, 'removed-rows': 0 }, '$.summary["a b"]'],
    ['an author a number', v1, ['author'], 5, '$.author'],
    ['a message a number', v1, ['message'], 5, '$.message'],
    ['an idempotency key empty', v1, ['idempotency-key'], '', '$.idempotency-key'],
    ['a fingerprint without a key', v1, ['idempotency-key'], DELETE, '$.fingerprint', /requires an idempotency-key/],
    ['a fingerprint not hex', v1, ['fingerprint'], 'x', '$.fingerprint'],
    ['lineage in a v1 snapshot', v1, ['lineage'], { meta: { k: 'v' } }, '$.kind', /with lineage is written as dv:snapshot:v3, not dv:snapshot:v1/],
    ['a v3 snapshot without lineage', v3, ['lineage'], DELETE, '$.kind', /without lineage and .* is written as dv:snapshot:v1, not dv:snapshot:v3/],
  ]
  it.each(defects)('refuses %s, naming its path', (_, base, path, change, expected, says) => {
    const { path: at, message } = refusal(parseSnapshot, changed(base, path, change))
    expect(at).toBe(expected)
    if (says) expect(message).toMatch(says)
  })

  it('refuses a dropped table still listed', () => {
    const dropped = changed(v1, ['summary', 'users', 'operation'], 'drop')
    expect(refusal(parseSnapshot, dropped)).toMatchObject({ path: '$.summary.users', message: expect.stringMatching(/dropped but still listed/) })
  })
})

describe('table metadata', () => {
  const keyed = example('table-metadata-keyed.json')
  const contract = example('table-metadata-contract.json')
  const plain = example('table-metadata.json')

  const on: Array<[string, Json, ...Defect]> = [
    ['keyed', keyed, 'no key field ids', ['identifier-field-ids'], [], '$.identifier-field-ids', /at least one field id/],
    ['keyed', keyed, 'a key field id twice', ['identifier-field-ids'], [1, 1], '$.identifier-field-ids[1]', /duplicate field id 1/],
    ['keyed', keyed, 'a key field id zero', ['identifier-field-ids'], [0], '$.identifier-field-ids[0]'],
    ['keyed', keyed, 'a key on a decimal', ['identifier-field-ids'], [3], '$.identifier-field-ids[0]'],
    ['keyed', keyed, 'a key on an optional column', ['identifier-field-ids'], [2], '$.identifier-field-ids[0]'],
    ['keyed', keyed, 'a key the schema lacks', ['identifier-field-ids'], [9], '$.identifier-field-ids[0]'],
    ['keyed', keyed, 'a partition bound of the wrong type', ['manifests', '0', 'partitions', '1000', 'lower'], 'soon', '$.manifests[0].partitions.1000.lower', /invalid date value "soon"/],
    ['keyed', keyed, 'one bound null', ['manifests', '0', 'partitions', '1000', 'upper'], null, '$.manifests[0].partitions.1000', /both be null or both/],
    ['keyed', keyed, 'lower above upper', ['manifests', '0', 'partitions', '1000', 'lower'], '2026-02-01', '$.manifests[0].partitions.1000', /is greater than upper/],
    ['keyed', keyed, 'contains-null a string', ['manifests', '0', 'partitions', '1000', 'contains-null'], 'no', '$.manifests[0].partitions.1000.contains-null'],
    ['keyed', keyed, 'bounds of a partition field the spec lacks', ['manifests', '0', 'partitions', '1001'], { 'contains-null': false, lower: null, upper: null }, '$.manifests[0].partitions.1001', /no partition field 1001/],
    ['keyed', keyed, 'no bounds of a partition field', ['manifests', '0', 'partitions'], {}, '$.manifests[0].partitions.1000', /missing bounds/],
    ['keyed', keyed, 'a manifest id not hex', ['manifests', '0', 'id'], 'x', '$.manifests[0].id'],
    ['keyed', keyed, 'a manifest file count negative', ['manifests', '0', 'files'], -1, '$.manifests[0].files'],
    ['keyed', keyed, 'a manifest row count a string', ['manifests', '0', 'rows'], '2000', '$.manifests[0].rows'],
    ['keyed', keyed, 'a manifest byte count null', ['manifests', '0', 'bytes'], null, '$.manifests[0].bytes'],
    ['keyed', keyed, 'a manifests entry not an object', ['manifests', '0'], 'x', '$.manifests[0]'],
    ['keyed', keyed, 'a table id not a uuid', ['table-id'], 'events', '$.table-id'],
    ['keyed', keyed, 'last-column-id below a field id', ['last-column-id'], 4, '$.last-column-id', /below the highest field id 5/],
    ['keyed', keyed, 'last-column-id beyond 2^31-1', ['last-column-id'], 2 ** 31, '$.last-column-id'],
    ['keyed', keyed, 'a property not a string', ['properties', 'x'], 1, '$.properties.x'],
    ['keyed', keyed, 'a keyed table written as v1', ['kind'], 'dv:table:v1', '$.kind', /must be written as dv:table:v3/],
    ['plain', plain, 'a plain table written as v3', ['kind'], 'dv:table:v3', '$.kind', /is for tables with a primary key/],
    ['plain', plain, 'a plain table written as v4', ['kind'], 'dv:table:v4', '$.kind', /is for tables with a contract/],
    ['plain', plain, 'a flat table written as v2', ['kind'], 'dv:table:v2', '$.kind', /is for schemas with nested or newer types/],
    ['contract', contract, 'a contract table written as v3', ['kind'], 'dv:table:v3', '$.kind', /with a contract must be written as dv:table:v4/],
    ['contract', contract, 'a contract of another format', ['contract', 'format'], 'yaml', '$.contract.format', /unknown contract format "yaml"/],
    ['contract', contract, 'an empty contract', ['contract', 'text'], '  \n', '$.contract.text', /the contract is empty/],
    ['contract', contract, 'a contract text a number', ['contract', 'text'], 1, '$.contract.text'],
    ['contract', contract, 'a contract without text', ['contract', 'text'], DELETE, '$.contract.text'],
  ]
  it.each(on)('%s: refuses %s, naming its path', (_, base, __, path, change, expected, says) => {
    const { path: at, message } = refusal(parseTableMetadata, changed(base, path, change))
    expect(at).toBe(expected)
    if (says) expect(message).toMatch(says)
  })
})
