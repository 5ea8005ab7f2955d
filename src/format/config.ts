/** The repository config, `config.json` (format-spec/config.md). Not content-addressed; written once. */
import { decodeChecked, encodeChecked } from './codec.js'
import { readInteger, readObject, readUuid, type JsonObject } from './json-fields.js'
import { DvError } from '../errors.js'
import { FORMAT_VERSION, KINDS, type RepositoryConfig } from './types.js'

function encodeConfig(config: RepositoryConfig): JsonObject {
  return {
    kind: KINDS.config,
    'format-version': config.formatVersion,
    'repository-id': config.repositoryId,
    'created-ms': config.createdMs,
  }
}

function decodeConfig(json: unknown, what: string): RepositoryConfig {
  const o = readObject(json, '$', ['kind', 'format-version', 'repository-id', 'created-ms'])
  const formatVersion = readInteger(o['format-version'], '$.format-version', 1)
  if (formatVersion !== FORMAT_VERSION) {
    throw new DvError('UNSUPPORTED', `${what} has format-version ${formatVersion}, which this version of dv cannot read (it reads ${FORMAT_VERSION})`, {
      hint: 'the repository was probably created by a newer dv; upgrade dv',
      details: { object: what, formatVersion },
    })
  }
  return {
    formatVersion,
    repositoryId: readUuid(o['repository-id'], '$.repository-id'),
    createdMs: readInteger(o['created-ms'], '$.created-ms', 0),
  }
}

export function serializeConfig(config: RepositoryConfig): Uint8Array {
  return encodeChecked('config.json', encodeConfig(config), (json) => decodeConfig(json, 'config.json'))
}

/** Parses config.json; CORRUPT naming `what` and the field, UNSUPPORTED for another kind version or format-version. */
export function parseConfig(bytes: Uint8Array, what = 'config.json'): RepositoryConfig {
  return decodeChecked(bytes, KINDS.config, what, (json) => decodeConfig(json, what))
}
