/**
 * The Python interpreter with the test tools of .ci/requirements-test.txt
 * (pyarrow, pandas, fastparquet, polars), from DV_TEST_PYTHON:
 *   eval "$(bash .ci/py-tools.sh)" && npx vitest run test/io/parquet-corpus.test.ts
 * Without it a suite that needs it is skipped with the reason printed, except
 * under CI (CI set), where the suite fails: CI never skips it silently.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

export function testPython(suite: string): string | undefined {
  const python = process.env.DV_TEST_PYTHON
  if (python) return python
  const how = 'run eval "$(bash .ci/py-tools.sh)" first'
  if (process.env.CI) throw new Error(`${suite} needs DV_TEST_PYTHON under CI (${how})`)
  console.warn(`skipping ${suite}: DV_TEST_PYTHON is not set (${how})`)
  return undefined
}

/** Runs `python script ...args` and returns its stdout; a failure carries its stderr. */
export async function runPython(python: string, script: string, args: string[], options: { input?: string } = {}): Promise<string> {
  const child = promisify(execFile)(python, [script, ...args], { maxBuffer: 256 << 20, timeout: 300_000 })
  if (options.input !== undefined) child.child.stdin?.end(options.input)
  try {
    return (await child).stdout
  } catch (e) {
    const err = e as { stderr?: string; message: string }
    throw new Error(`${script} failed: ${err.stderr || err.message}`)
  }
}
