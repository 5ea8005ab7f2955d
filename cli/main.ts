#!/usr/bin/env node
/**
 * The `dv` executable. It only turns on Node's compile cache (22.1+: V8 code
 * of every module loaded after this call is kept on disk, so the next process
 * skips compiling it) and then loads the CLI (cli/program.ts). The cache has
 * to be on before the CLI's modules load, hence this file of its own. On Node
 * 20 the call does not exist and nothing changes. NODE_DISABLE_COMPILE_CACHE=1
 * turns it off; NODE_COMPILE_CACHE=DIR moves it (default: the system's
 * temporary directory).
 */
import module from 'node:module'

;(module as { enableCompileCache?: () => unknown }).enableCompileCache?.()
await import('./program.js')
