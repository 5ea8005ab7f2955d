/**
 * An HTTP proxy on 127.0.0.1 in front of the S3 test server that injects the
 * failures a real network and store produce: a 409 ConditionalRequestConflict,
 * a 500 before the request reaches the store, a 500 after it was applied, and
 * a lost response (the request is applied, then the connection is cut).
 */
import { createServer, request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export type FaultAction = 'pass' | 'conflict-409' | 'error-500-before' | 'error-500-after' | 'lose-response'

export interface ProxiedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
}

export interface FaultProxy {
  endpoint: string
  /** Decides what happens to each request (default: pass). */
  plan: (req: ProxiedRequest) => FaultAction
  /** Every request seen, with the action taken. */
  log: Array<ProxiedRequest & { action: FaultAction }>
  close(): Promise<void>
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>dv-fault</RequestId></Error>`
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target)
  const proxy: FaultProxy = {
    endpoint: '',
    plan: () => 'pass',
    log: [],
    close: async () => undefined,
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const seen: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers }
      const action = proxy.plan(seen)
      proxy.log.push({ ...seen, action })
      const reply = (status: number, code: string, message: string): void => {
        const body = errorXml(code, message)
        res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
        res.end(body)
      }
      if (action === 'conflict-409') return reply(409, 'ConditionalRequestConflict', 'A conflicting operation occurred')
      if (action === 'error-500-before') return reply(500, 'InternalError', 'injected before the store')
      const forward = request(
        { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          const body: Buffer[] = []
          up.on('data', (c: Buffer) => body.push(c))
          up.on('end', () => {
            if (action === 'lose-response') return void req.socket.destroy()
            if (action === 'error-500-after') return reply(500, 'InternalError', 'injected after the store applied the request')
            res.writeHead(up.statusCode ?? 502, up.headers)
            res.end(Buffer.concat(body))
          })
        },
      )
      forward.on('error', () => req.socket.destroy())
      forward.end(Buffer.concat(chunks))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
  return proxy
}
