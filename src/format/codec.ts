/**
 * The two directions every metadata object takes: serialize checks the
 * object against the same decoder a reader uses before producing canonical
 * bytes (so dv never writes metadata it would reject), and parse checks the
 * bytes' canonical form and kind, then decodes.
 */
import { canonicalize, parseCanonical } from './canonical-json.js'
import { checkKind, decodeObject, type JsonObject } from './json-fields.js'

/** Canonical bytes of `json`; INVALID_ARGUMENT naming `what` and the field if `decode` rejects it. */
export function encodeChecked(what: string, json: JsonObject, decode: (json: unknown) => unknown): Uint8Array {
  decodeObject(what, 'write', () => decode(json))
  return canonicalize(json)
}

/** Decodes canonical bytes of kind `kind`; CORRUPT naming `what` and the JSON path, UNSUPPORTED for another kind version. */
export function decodeChecked<T>(bytes: Uint8Array, kind: string | readonly string[], what: string, decode: (json: JsonObject) => T): T {
  const json = checkKind(parseCanonical(bytes, what), kind, what)
  return decodeObject(what, 'read', () => decode(json))
}
