/**
 * The lint config is a test subject like any other: an import against a layer
 * rule must fail `npm run lint`, the legal ones must pass, and the README's
 * layer table must say what the rules say. Files are linted as text under
 * paths where they would live (nothing is written into src/), through the
 * repository's own eslint.config.js.
 */
import { ESLint } from 'eslint'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
let eslint: ESLint

// The fixtures exist only as text, so the type-aware rules get them through the
// project service's default project (tsconfig.json's options); the rules are untouched.
const FIXTURES = ['src/lint-fixture.ts', 'src/*/lint-fixture.ts', 'src/*/*/lint-fixture.ts', 'cli/lint-fixture.ts', 'cli/*/lint-fixture.ts', 'bench/lint-fixture.ts']

beforeAll(() => {
  eslint = new ESLint({
    cwd: root,
    overrideConfig: { languageOptions: { parserOptions: { projectService: { allowDefaultProject: FIXTURES, maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16 } } } },
  })
})

/** The rule ids lint reports for `code` placed at `path` (relative to the repository root). */
async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) })
  const fatal = result.messages.filter((m) => m.fatal)
  expect(fatal, 'the fixture must parse').toEqual([])
  return result.messages.map((m) => m.ruleId ?? 'fatal')
}

const LAYER_RULE = 'import-x/no-restricted-paths'

// [file, import that breaks its layer, import that keeps to it]
const CASES: Array<[string, string, string]> = [
  ['src/format/lint-fixture.ts', '../table/write.js', '../errors.js'],
  ['src/format/deeper/lint-fixture.ts', '../../table/write.js', '../../ids.js'],
  ['src/format/lint-fixture.ts', '../api-types.js', './types.js'],
  ['src/store/lint-fixture.ts', '../format/types.js', './types.js'],
  ['src/store/lint-fixture.ts', '../table/write.js', '../ids.js'],
  ['src/io/lint-fixture.ts', '../store/types.js', '../format/types.js'],
  ['src/io/lint-fixture.ts', '../refs/names.js', './types.js'],
  ['src/io/lint-fixture.ts', '../table/scan-plan.js', '../errors.js'],
  ['src/refs/lint-fixture.ts', '../table/history.js', '../store/types.js'],
  ['src/refs/lint-fixture.ts', '../io/types.js', '../format/types.js'],
  ['src/workspace/lint-fixture.ts', '../index.js', '../table/actions/context.js'],
  ['src/table/lint-fixture.ts', '../workspace/workspace.js', '../refs/names.js'],
  ['src/workspace/lint-fixture.ts', '../io/types.js', '../store/types.js'],
  ['src/table/lint-fixture.ts', '../io/duck.js', '../io/types.js'],
  ['src/table/lint-fixture.ts', '../index.js', '../refs/names.js'],
  ['src/lint-fixture.ts', '../cli/text.js', './table/read.js'],
  ['cli/commands/lint-fixture.ts', '../../src/table/read.js', '../../src/index.js'],
  ['cli/lint-fixture.ts', '../src/errors.js', '../src/index.js'],
  ['bench/lint-fixture.ts', '../src/table/commit.js', '../src/store/index.js'],
]

describe('layer rules (eslint.config.js)', () => {
  it.each(CASES)('%s: importing %s fails lint, %s passes', async (file, illegal, legal) => {
    expect(await problems(file, `import * as m from '${illegal}'\nexport const n = Object.keys(m).length\n`)).toEqual([LAYER_RULE])
    expect(await problems(file, `import * as m from '${legal}'\nexport const n = Object.keys(m).length\n`)).toEqual([])
  }, 120_000)

  it('catches a dynamic import and a re-export as well as a static import', async () => {
    expect(await problems('src/format/lint-fixture.ts', `export const m = () => import('../io/index.js')\n`)).toEqual([LAYER_RULE])
    expect(await problems('src/format/lint-fixture.ts', `export { planScan } from '../table/scan-plan.js'\n`)).toEqual([LAYER_RULE])
  }, 120_000)

  it('fails an import it cannot resolve, which the layer rules could not see', async () => {
    expect(await problems('src/format/lint-fixture.ts', `export * from '../tabel/write.js'\n`)).toEqual(['import-x/no-unresolved'])
  }, 120_000)

  it('fails a floating promise', async () => {
    const code = `async function save(): Promise<void> {}\nexport function run(): void {\n  save()\n}\n`
    expect(await problems('src/table/lint-fixture.ts', code)).toEqual(['@typescript-eslint/no-floating-promises'])
    expect(await problems('src/table/lint-fixture.ts', code.replace('  save()', '  void save()'))).toEqual([])
  }, 120_000)
})

describe('README layer table', () => {
  it('lists the same layers, allowed imports and reasons as eslint.config.js', async () => {
    // @ts-expect-error eslint.config.js is plain JavaScript without declarations; the cast below types what is used
    const { LAYERS } = (await import('../../eslint.config.js')) as { LAYERS: Array<{ target: string; allow: string[]; why: string }> }
    const readme = await readFile(join(root, 'README.md'), 'utf8')
    const table = readme.slice(readme.indexOf('| layer | may import of dv'))
    // Rows like: | `src/refs` | `src/format`, `src/store`, ... | why |
    const rows = [...table.matchAll(/^\| `([^`]+)` \| ([^|]*) \| ([^|]*) \|$/gm)].map(([, target, allow, why]) => ({
      target,
      allow: [...allow.matchAll(/`([^`]+)`/g)].map(([, p]) => p),
      why: why.replaceAll('`', ''),
    }))
    expect(rows).toEqual(LAYERS.map(({ target, allow, why }) => ({ target, allow, why })))
  })
})
