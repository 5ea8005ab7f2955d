import { SETTINGS_REF } from '../../src/format/index.js'
import type { Storage } from '../../src/store/types.js'

/**
 * `storage` on which another client's change (`land`) lands right before the
 * second read of the settings ref: the first read is the caller's check, the
 * second the settings change's own, so the change meets a head it did not check.
 */
export function landsBeforeSettingsChange(storage: Storage, land: () => Promise<unknown>): Storage {
  let reads = 0
  return {
    ...storage,
    refs: {
      ...storage.refs,
      get: async (name) => {
        if (name === SETTINGS_REF && ++reads === 2) await land()
        return storage.refs.get(name)
      },
    },
  }
}
