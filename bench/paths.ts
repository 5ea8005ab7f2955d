/** Where the benchmark finds the built CLI and keeps its data, and the environment every measured process gets. */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** dist/bench (this file's compiled directory). */
export const DIST_BENCH = dirname(fileURLToPath(import.meta.url))
/** The repository root (dist/bench/../..). */
export const ROOT = resolve(DIST_BENCH, '..', '..')
export const DV_CLI = join(ROOT, 'dist', 'cli', 'main.js')
export const DATA_DIR = join(ROOT, 'bench', 'data')
export const RESULTS_DIR = join(ROOT, 'bench', 'results')

/**
 * Malloc asks for huge pages: first-touch of fresh memory is ~10 us per 4 KiB
 * page on the project VM (bench/building-blocks.md, section 0).
 * Set for dv processes and baselines alike.
 */
export const BENCH_ENV: Record<string, string> = {
  GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
  NO_COLOR: '1',
}
