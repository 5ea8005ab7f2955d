/**
 * The CLI as a few bundled files (dist/cli-bundle/), built from tsc's output
 * by `npm run build` after tsc. A cold `dv` process otherwise resolves,
 * reads and compiles 80-140 of dist's modules and the ~180 CommonJS files of
 * @duckdb/node-api one by one; bundled, a one-row `write --commit` and a
 * `cat` start 0.2-0.3 s sooner on this machine (bench/cold-start.ts).
 * Dynamic imports stay split into chunks, so a command still loads only what
 * it uses. dist/cli/main.js runs the bundle when it is at least as new as
 * tsc's dist/cli/program.js, else tsc's output: a stale bundle never runs.
 * The library (dist/src, the package's `main`) is not bundled.
 */
import { defineConfig } from 'rolldown'

// Packages kept out of the bundle: native code and WebAssembly (loaded from their package
// directories), and the big ones a command loads only for work that dwarfs their load time.
const EXTERNAL = [
  '@duckdb/node-bindings', 'apache-arrow', 'parquet-wasm', '@aws-sdk/client-s3',
  'ink', 'react', 'react/jsx-runtime', 'ajv', 'ajv/dist/2019.js', 'ajv-formats', 'yaml', 'avsc', 'sql.js',
]

export default defineConfig({
  input: { program: 'dist/cli/program.js' },
  platform: 'node',
  external: (id) => id.startsWith('node:') || EXTERNAL.includes(id),
  // no source maps: the plugin's edit would make them wrong; the bundle is plain, readable ESM
  output: { dir: 'dist/cli-bundle', format: 'esm', cleanDir: true },
  plugins: [{
    // src/io/duck.ts require()s @duckdb/node-api (CommonJS: import() is 0.2-0.4 s slower unbundled);
    // the bundler follows only imports, so here the call becomes one and the package is bundled
    name: 'bundle-duckdb-node-api',
    transform(code, id) {
      if (!id.endsWith('/dist/src/io/duck.js')) return null
      const call = "createRequire(import.meta.url)('@duckdb/node-api')"
      if (!code.includes(call)) throw new Error(`rolldown.config.mjs: ${id} no longer contains ${call}; update the plugin`)
      return code.replace(call, "(await import('@duckdb/node-api'))")
    },
  }],
})
