/**
 * A deliberately non-atomic S3 server on 127.0.0.1 for `dv doctor --race`:
 * it enforces If-None-Match and If-Match like S3, but checks the condition,
 * waits (`gapMs`), then stores, with nothing held in between. Requests sent
 * one at a time see a correct store, so the sequential probe passes; racers
 * that arrive together all pass the check and all "win". Objects live in a
 * Map; signatures are not checked. Enough of S3 for dv to open a repository
 * (GET config.json, list refs), run the probe (PUT, DELETE) and race (PUT).
 */
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RacyS3 {
  endpoint: string
  /** Objects by "bucket/key". */
  objects: Map<string, Buffer>
  close(): Promise<void>
}

function errorReply(res: ServerResponse, status: number, code: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message><RequestId>racy</RequestId></Error>`
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`
}

/** ListObjectsV2 of `bucket`, one page. */
function listReply(res: ServerResponse, objects: Map<string, Buffer>, bucket: string, prefix: string): void {
  const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const keys = [...objects.keys()].filter((k) => k.startsWith(`${bucket}/${prefix}`)).sort()
  const contents = keys.map((k) => `<Contents><Key>${escape(k.slice(bucket.length + 1))}</Key><Size>${objects.get(k)!.length}</Size><ETag>${escape(etagOf(objects.get(k)!))}</ETag></Contents>`)
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${escape(bucket)}</Name><Prefix>${escape(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents.join('')}</ListBucketResult>`
  res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

export async function startRacyS3(options: { gapMs?: number } = {}): Promise<RacyS3> {
  const gapMs = options.gapMs ?? 20
  const objects = new Map<string, Buffer>()
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const name = decodeURIComponent(url.pathname.slice(1))
      const body = await readBody(req)
      const current = objects.get(name)
      if (req.method === 'GET' && url.searchParams.has('list-type')) return listReply(res, objects, name, url.searchParams.get('prefix') ?? '')
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (!current) return errorReply(res, 404, 'NoSuchKey')
        res.writeHead(200, { etag: etagOf(current), 'content-length': current.length })
        return res.end(req.method === 'GET' ? current : undefined)
      }
      const ifNoneMatch = req.headers['if-none-match']
      const ifMatch = req.headers['if-match']
      // the check...
      if (ifNoneMatch === '*' && current) return errorReply(res, 412, 'PreconditionFailed')
      if (ifMatch !== undefined && (!current || etagOf(current) !== ifMatch)) return errorReply(res, current ? 412 : 404, current ? 'PreconditionFailed' : 'NoSuchKey')
      // ...and the store, apart: the gap every racer slips through
      await new Promise((r) => setTimeout(r, gapMs))
      if (req.method === 'PUT') {
        objects.set(name, body)
        res.writeHead(200, { etag: etagOf(body), 'content-length': 0 })
        return res.end()
      }
      if (req.method === 'DELETE') {
        objects.delete(name)
        res.writeHead(204)
        return res.end()
      }
      errorReply(res, 501, 'NotImplemented')
    })().catch(() => errorReply(res, 500, 'InternalError'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
