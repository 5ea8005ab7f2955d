/**
 * Enforcement (format-spec/contracts.md#enforcement): a commit that breaks
 * the contract is QUALITY and leaves every ref, reflog and staged change as
 * it was; merges, cherry-picks and reverts are checked like writes; a commit
 * rebased over a concurrent one is checked again; uniqueness reads only the
 * added files and the files min/max cannot rule out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashFile, hashFiles } from '../support/file-hashes.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, type ContractReport, type DvError } from '../../src/index.js'

let dir: string
let n = 0
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-contract-enforce-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const CONTRACT = `apiVersion: v3.1.0
kind: DataContract
id: orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
        required: true
        unique: true
      - name: country
        logicalType: string
        logicalTypeOptions:
          pattern: "^[A-Z]{2}$"
`

async function csv(rows: string): Promise<string> {
  const path = join(dir, `in-${++n}.csv`)
  await writeFile(path, `id,country\n${rows}`)
  return path
}

async function failure(p: Promise<unknown>): Promise<DvError> {
  return p.then(() => { throw new Error('expected a failure') }, (e: DvError) => e)
}

/** SHA-256 of every file under the store's refs/, reflog/ and HEAD, and of the workspace's staging: what must not change. */
async function stateOf(root: string): Promise<Record<string, string>> {
  return { ...(await hashFiles(root, ['.dv/refs', '.dv/reflog'])), HEAD: await hashFile(join(root, '.dv', 'HEAD')) }
}

async function orders(name: string): Promise<{ repo: Repository; root: string }> {
  const root = join(dir, name)
  const repo = await Repository.init(root, { author: 'ann' })
  await repo.write('orders', await csv('1,DE\n2,FR\n'), { commit: true, message: 'load' })
  await repo.setContract('orders', CONTRACT, { file: 'orders.odcs.yaml' })
  return { repo, root }
}

function failedRules(e: DvError): string[] {
  return (e.details.contract as ContractReport[]).flatMap((r) => r.rules.filter((x) => x.status === 'failed').map((x) => x.name))
}

describe('a write that breaks the contract', () => {
  it('is QUALITY, lists each failed rule with measured value, bound and sample rows, and changes no ref, reflog or staging', async () => {
    const { repo, root } = await orders('write')
    const before = await stateOf(root)
    const e = await failure(repo.write('orders', await csv('2,DE\n3,france\n'), { commit: true, message: 'bad' }))
    expect(e.code).toBe('QUALITY')
    expect(e.message).toMatch(/^the contract of table 'orders' failed on top of [0-9a-f]{7,}: 2 rule\(s\) failed: id\.unique, country\.pattern$/)
    const [report] = e.details.contract as ContractReport[]
    expect(report!.rules.find((r) => r.name === 'country.pattern')).toMatchObject({
      status: 'failed', measured: 1, bound: '= 0 rows', scope: 'added rows', samples: [{ id: '3', country: 'france' }],
    })
    expect(report!.rules.find((r) => r.name === 'id.unique')).toMatchObject({ status: 'failed', measured: 1, samples: [{ id: '2', country: 'DE' }] })
    expect(await stateOf(root)).toEqual(before)
    expect((await repo.status()).staged).toEqual([])
    await repo.write('orders', await csv('3,NL\n'), { commit: true, message: 'good' })
    expect((await repo.log({ limit: 1 }))[0]!.message).toBe('good')
    await repo.close()
  })

  it('staged without --commit, is refused at commit and stays staged', async () => {
    const { repo, root } = await orders('staged')
    await repo.write('orders', await csv('4,xx\n'))
    const before = await stateOf(root)
    expect(failedRules(await failure(repo.commit({ message: 'bad' })))).toEqual(['country.pattern'])
    expect(await stateOf(root)).toEqual(before)
    expect((await repo.status()).staged).toHaveLength(1)
    await repo.close()
  })

  it('is checked again when it rebases over a concurrent commit: alone it passes, after the other it repeats a key', async () => {
    const { repo, root } = await orders('rebase')
    await repo.write('orders', await csv('5,DE\n'))
    const other = await Repository.open(`file://${join(root, '.dv')}`, { author: 'bob' })
    await other.write('orders', await csv('5,FR\n'), { commit: true, message: 'concurrent', branch: 'main' })
    const e = await failure(repo.commit({ message: 'late' }))
    expect(e.code).toBe('QUALITY')
    expect(failedRules(e)).toEqual(['id.unique'])
    await other.close()
    await repo.close()
  })
})

describe('merges, cherry-picks and reverts are checked', () => {
  it('a merge bringing rows that break main\'s contract is QUALITY; so is cherry-picking them', async () => {
    const root = join(dir, 'merge')
    const repo = await Repository.init(root, { author: 'ann' })
    await repo.write('orders', await csv('1,DE\n'), { commit: true, message: 'load' })
    await repo.createBranch('raw')
    await repo.write('orders', await csv('2,lowercase\n'), { commit: true, message: 'raw rows', branch: 'raw' })
    await repo.setContract('orders', CONTRACT)
    const before = await stateOf(root)
    expect(failedRules(await failure(repo.merge('raw')))).toEqual(['country.pattern'])
    expect(failedRules(await failure(repo.cherryPick('raw')))).toEqual(['country.pattern'])
    expect(await stateOf(root)).toEqual(before)
    await repo.close()
  })

  it('a revert that breaks a table-level rule is QUALITY', async () => {
    const { repo } = await orders('revert')
    await repo.setContract('orders', `${CONTRACT}    quality:\n      - {metric: rowCount, mustBeGreaterOrEqualTo: 3}\n`)
    await repo.write('orders', await csv('3,NL\n'), { commit: true, message: 'third' })
    const e = await failure(repo.revert('HEAD'))
    expect(failedRules(e)).toEqual(['rowCount'])
    expect((e.details.contract as ContractReport[])[0]!.rules.find((r) => r.name === 'rowCount')).toMatchObject({ measured: 2, bound: '>= 3', by: 'statistics' })
    await repo.close()
  })
})

describe('table-level rules on a commit', () => {
  it('volume: an append that grows the table by more than maxChangePercent is refused', async () => {
    const { repo } = await orders('volume')
    await repo.setContract('orders', `${CONTRACT}    quality:\n      - {type: custom, engine: dv, implementation: {rule: volume, maxChangePercent: 50}}\n`)
    await repo.write('orders', await csv('3,NL\n'), { commit: true, message: '+50%' })
    const e = await failure(repo.write('orders', await csv('4,NL\n5,NL\n'), { commit: true, message: '+67%' }))
    expect((e.details.contract as ContractReport[])[0]!.rules.find((r) => r.name === 'volume')).toMatchObject({ status: 'failed', bound: '<= 50%' })
    await repo.close()
  })
})

describe('uniqueness is pruned by min/max', () => {
  it('reads the added file and only the files whose id range overlaps it', async () => {
    const { repo } = await orders('prune')
    await repo.write('orders', await csv('10,DE\n11,DE\n'), { commit: true, message: 'b' })
    await repo.write('orders', await csv('20,DE\n21,DE\n'), { commit: true, message: 'c' })
    await repo.write('orders', await csv('12,DE\n'), { commit: true, message: 'in the range of b only' })
    const report = await repo.check('orders')
    expect(report.rules.find((r) => r.name === 'id.unique')).toMatchObject({ status: 'passed', filesRead: 4 }) // a check reads every file
    const e = await failure(repo.write('orders', await csv('21,DE\n'), { commit: true, message: 'repeats 21' }))
    expect((e.details.contract as ContractReport[])[0]!.rules.find((r) => r.name === 'id.unique')).toMatchObject({ status: 'failed', filesRead: 2 })
    await repo.close()
  })
})

describe('the contract time-travels', () => {
  it('show --at an earlier snapshot has no contract; rm removes it in a commit', async () => {
    const { repo } = await orders('travel')
    expect((await repo.showContract('orders')).text).toBe(CONTRACT)
    expect((await repo.showContract('orders', { at: 'HEAD~1' })).text).toBeNull()
    const removed = await repo.removeContract('orders')
    expect(removed.changed).toBe(true)
    expect((await repo.showContract('orders')).text).toBeNull()
    await repo.write('orders', await csv('1,lowercase\n'), { commit: true, message: 'no contract, no check' })
    expect((await repo.showContract('orders', { at: 'HEAD~2' })).text).toBe(CONTRACT)
    await repo.close()
  })
})
