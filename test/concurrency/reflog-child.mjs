// Child process of reflog-processes.test.ts: appends M reflog entries to one ref, as fast as it can.
// argv: storeLocation ref worker M   (storeLocation: a .dv directory or s3://BUCKET/PREFIX)
import { serializeReflogEntry } from '../../dist/src/format/index.js'
import { openStorage } from '../../dist/src/store/index.js'

const [location, ref, worker, count] = process.argv.slice(2)
const storage = await openStorage(location)
const snapshot = 'a'.repeat(64)
try {
  for (let seq = 0; seq < Number(count); seq++) {
    const timeMs = Date.now()
    await storage.reflog.append(ref, timeMs, serializeReflogEntry({
      ref, old: snapshot, new: snapshot, timeMs, user: worker, host: 'test', message: `${worker}-${seq}`,
    }))
  }
} finally {
  await storage.close()
}
