/**
 * A CSV's inference counts (src/io/infer-check.ts) ride on the late-value
 * scan (src/io/sample-check.ts), which parses the file anyway. The counts it
 * takes must be the ones the inference's own scan takes, key by key, and the
 * columns learnt from them the same: integers in a double column (decimal),
 * fractions, exponents, blanks, values beyond a double, more than 38 digits,
 * day/month orders decided and not, and a file with late misfits and
 * nanoseconds, where the counts are not used.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Duck } from '../../src/io/duck.js'
import { describeInput } from '../../src/io/describe-input.js'
import { inferLosslessly, planInference } from '../../src/io/infer-check.js'
import { scanBeyondSample } from '../../src/io/sample-check.js'
import { describeRaw, readerSql, type DuckColumn, type ReadableFile } from '../../src/io/readers.js'
import { toPrimitiveType } from '../../src/io/duck-types.js'

let dir: string
let duck: Duck
let n = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-infer-fused-'))
  duck = await Duck.open({ threads: 1 })
})
afterAll(async () => {
  duck.close()
  await rm(dir, { recursive: true, force: true })
})

async function csvFile(header: string, rows: string[]): Promise<ReadableFile> {
  const path = join(dir, `in-${n++}.csv`)
  await writeFile(path, [header, ...rows].join('\n') + '\n')
  return { name: 'in.csv', path, format: 'csv' }
}

/** The columns as describeInput has them just before the late-value scan (a new table: nothing declared). */
async function sniffed(file: ReadableFile): Promise<DuckColumn[]> {
  const raw = await describeRaw(duck, file, readerSql(file))
  return raw.map(({ structured: _, ...c }) => ({ ...c, type: toPrimitiveType(c.name, c.duckType, file.name) }))
}

const INPUTS: Array<[string, string, string[]]> = [
  ['integers in a double column, and a double one', 'a,b', ['1,1.5', '2,2.25', '-3,1e3', ',4']],
  ['an integer of 39 digits', 'a', ['1.5', `1${'0'.repeat(38)}`]],
  ['a value beyond a double', 'a', ['1.5', '1e400']],
  ['a day/month order a value decides', 'd,t', ['01/02/2026,01/02/2026 10:00:00', '13/02/2026,13/02/2026 10:00:00']],
  ['a day/month order no value decides', 'd', ['01/02/2026', '03/04/2026']],
  ['only blanks in a double column', 'a,b', ['1.5,x', ',y']],
]

describe('the late-value scan counts what the inference scan counts', () => {
  it.each(INPUTS)('%s', async (_, header, rows) => {
    const file = await csvFile(header, rows)
    const columns = await sniffed(file)
    const plan = await planInference(duck, file, columns)
    expect(plan).toBeDefined()
    const { counted, nanos, misfit } = await scanBeyondSample(duck, file, columns, [], plan!.counting)
    expect(misfit).toBeUndefined()
    expect(nanos).toEqual([])
    // the inference's own scan, for comparison: the same SELECT list over its own reader
    const own = await duck.all(`SELECT ${plan!.counting.join(', ')} FROM ${readerSql(file, columns, Object.fromEntries(columns.map((c) => [c.name, 'VARCHAR'])))}`)
    expect(counted).toEqual(own[0])
    const fused = await inferLosslessly(duck, file, columns, { plan: plan!, counts: counted! }).catch((e: Error) => e.message)
    const alone = await inferLosslessly(duck, file, columns).catch((e: Error) => e.message)
    expect(fused).toEqual(alone)
  })

  it('a misfit returns no counts (the types are learnt again from every record)', async () => {
    const rows = Array.from({ length: 20_480 }, (_, i) => `${i},${i}.5`)
    const file = await csvFile('a,b', [...rows, '1.5,2.5'])
    const columns = await sniffed(file)
    const plan = await planInference(duck, file, columns)
    const scan = await scanBeyondSample(duck, file, columns, [], plan!.counting)
    expect(scan.misfit?.column).toBe('a')
    expect(scan.counted).toBeUndefined()
    // and describeInput then reads the column losslessly: the fraction makes it a double
    const described = await describeInput(duck, file, {})
    expect(described.columns.find((c) => c.name === 'a')?.type).toBe('double')
  })
})
