/**
 * Reflog entries (format-spec/reflog.md) and the repository config
 * (format-spec/config.md) as parsed from bytes: each rule, broken once on the
 * spec example, is CORRUPT naming the JSON path of what broke it; a config of
 * a newer format version is UNSUPPORTED, saying which.
 */
import { describe, expect, it } from 'vitest'
import { canonicalize } from '../../src/format/canonical-json.js'
import { parseConfig, parseReflogEntry, serializeConfig } from '../../src/format/index.js'
import { isDvError } from '../../src/errors.js'
import { example, refusal, type Json } from './decode-support.js'

describe('reflog entries', () => {
  const entry = example('reflog-entry.json')

  it('reads a created ref (no old) and a deleted one (no new), and the settings and expiry refs', () => {
    expect(parseReflogEntry(canonicalize({ ...entry, old: null })).old).toBeNull()
    expect(parseReflogEntry(canonicalize({ ...entry, new: null })).new).toBeNull()
    for (const ref of ['settings', 'expiry']) expect(parseReflogEntry(canonicalize({ ...entry, ref })).ref).toBe(ref)
  })

  const defects: Array<[string, Json, string, RegExp?]> = [
    ['a ref outside branches/ and tags/', { ref: 'heads/main' }, '$.ref', /invalid ref "heads\/main": it is not in branches\/ or tags\//],
    ['a branch name git refuses', { ref: 'branches/a..b' }, '$.ref', /invalid ref "branches\/a\.\.b"/],
    ['a ref a number', { ref: 1 }, '$.ref'],
    ['old not an id', { old: 'main' }, '$.old'],
    ['new not an id', { new: 'HEAD' }, '$.new'],
    ['old and new both null', { old: null, new: null }, '$.new', /old and new cannot both be null/],
    ['time-ms negative', { 'time-ms': -1 }, '$.time-ms'],
    ['user a number', { user: 1 }, '$.user'],
    ['host null', { host: null }, '$.host'],
    ['message empty', { message: '' }, '$.message'],
    ['an unknown key', { extra: 1 }, '$.extra'],
  ]
  it.each(defects)('refuses %s, naming its path', (_, change, expected, says) => {
    const { path, message } = refusal(parseReflogEntry, { ...entry, ...change })
    expect(path).toBe(expected)
    if (says) expect(message).toMatch(says)
  })
})

describe('the repository config', () => {
  const config = example('config.json')

  it('reads the example and writes it back byte for byte', () => {
    const read = parseConfig(canonicalize(config))
    expect(read).toEqual({ formatVersion: 1, repositoryId: config['repository-id'], createdMs: config['created-ms'] })
    expect(Buffer.from(serializeConfig(read)).toString()).toBe(Buffer.from(canonicalize(config)).toString())
  })

  it.each([
    ['format-version zero', { 'format-version': 0 }, '$.format-version'],
    ['a repository id not a uuid', { 'repository-id': 'repo' }, '$.repository-id'],
    ['created-ms negative', { 'created-ms': -1 }, '$.created-ms'],
    ['an unknown key', { extra: 1 }, '$.extra'],
  ] as Array<[string, Json, string]>)('refuses %s, naming its path', (_, change, expected) => {
    expect(refusal(parseConfig, { ...config, ...change }).path).toBe(expected)
  })

  it('is UNSUPPORTED from a newer dv, naming the version and the way out', () => {
    try {
      parseConfig(canonicalize({ ...config, 'format-version': 2 }), 'config.json')
      throw new Error('accepted')
    } catch (e) {
      expect(isDvError(e, 'UNSUPPORTED')).toBe(true)
      const err = e as { message: string; hint?: string; details?: unknown }
      expect(err.message).toMatch(/config\.json has format-version 2/)
      expect(err.hint).toMatch(/upgrade dv/)
      expect(err.details).toEqual({ object: 'config.json', formatVersion: 2 })
    }
  })
})
