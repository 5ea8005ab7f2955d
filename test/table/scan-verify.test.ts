/**
 * scanFiles hands the engine local paths at once and checks the files'
 * hashes meanwhile (src/table/read.ts). The check must not hold the event
 * loop in front of the engine's statement: it starts on the next turn and
 * yields every VERIFY_SLICE files; and it still covers every file, and fails
 * when one does not verify. The store here is a stand-in that records which
 * files were checked, so the schedule is visible.
 */
import { setImmediate } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import type { DataFile } from '../../src/format/types.js'
import { DvError } from '../../src/errors.js'
import { scanFiles, VERIFY_SLICE } from '../../src/table/read.js'
import type { RepoContext } from '../../src/table/context.js'
import type { PlannedFile } from '../../src/table/scan-plan.js'

function planned(n: number): PlannedFile[] {
  return Array.from({ length: n }, (_, i) => {
    const file: DataFile = { id: i.toString(16).padStart(64, '0') as DataFile['id'], format: 'parquet', rows: 1, bytes: 10, partition: {}, columns: {} }
    return { file, manifest: '' as PlannedFile['manifest'] }
  })
}

/** A context whose store checks a file by recording its id; `corrupt` ids fail the check. */
function context(checked: string[], corrupt = new Set<string>()): RepoContext {
  const objects = {
    pathOf: (id: string) => `/objects/${id}`,
    localPath: async (id: string) => {
      checked.push(id)
      if (corrupt.has(id)) throw new DvError('CORRUPT', `object ${id} does not match its hash`)
      return `/objects/${id}`
    },
  }
  return { storage: { objects } } as unknown as RepoContext
}

describe('scanFiles checks local files in the background', () => {
  it('returns every path before checking any, then checks a slice per turn of the event loop, and all of them', async () => {
    const files = planned(3 * VERIFY_SLICE + 5)
    const checked: string[] = []
    const { files: scan, verified } = await scanFiles(context(checked), files)
    expect(scan.map((f) => f.path)).toEqual(files.map((p) => `/objects/${p.file.id}`))
    expect(checked).toHaveLength(0)
    await setImmediate()
    expect(checked.length).toBeGreaterThan(0)
    expect(checked.length).toBeLessThanOrEqual(VERIFY_SLICE)
    await verified
    expect([...checked].sort()).toEqual(files.map((p) => p.file.id).sort())
  })

  it('fails when a file of a later slice does not verify', async () => {
    const files = planned(2 * VERIFY_SLICE)
    const bad = files[VERIFY_SLICE + 3]!.file.id
    const { verified } = await scanFiles(context([], new Set([bad])), files)
    await expect(verified).rejects.toMatchObject({ code: 'CORRUPT' })
  })
})
