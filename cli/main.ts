#!/usr/bin/env node
/**
 * The `dv` executable. It turns on Node's compile cache (22.1+: V8 code of
 * every module loaded after this call is kept on disk, so the next process
 * skips compiling it; NODE_DISABLE_COMPILE_CACHE=1 turns it off) and then
 * loads the CLI: the bundle of dist/cli-bundle/ (rolldown.config.mjs) when it
 * is at least as new as tsc's cli/program.js, else cli/program.js itself.
 * Both must happen before the CLI's modules load, hence this file of its own.
 */
import { statSync } from 'node:fs'
import module from 'node:module'

;(module as { enableCompileCache?: () => unknown }).enableCompileCache?.()

const bundled = new URL('../cli-bundle/program.js', import.meta.url)

function bundleIsCurrent(): boolean {
  try {
    return statSync(bundled).mtimeMs >= statSync(new URL('./program.js', import.meta.url)).mtimeMs
  } catch {
    return false
  }
}

await import(process.env.DV_NO_BUNDLE !== '1' && bundleIsCurrent() ? bundled.href : './program.js')
