/**
 * Fallback when /usr/bin/time is absent: `node rss-wrapper.js RSS_FILE SCRIPT ARGS...`
 * runs SCRIPT in this process and writes the peak RSS (KiB, like `time -f %M`) to RSS_FILE on exit.
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [rssFile, script, ...args] = process.argv.slice(2)
process.argv = [process.argv[0], resolve(script), ...args]
process.on('exit', () => writeFileSync(rssFile, `${process.resourceUsage().maxRSS}\n`))
await import(pathToFileURL(resolve(script)).href)
