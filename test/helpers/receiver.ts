/** A local HTTP receiver for webhook deliveries (node:http on a free port). */
import { createServer, type Server, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Delivery { headers: IncomingHttpHeaders, body: string, url: string }

export interface Receiver {
  port: number
  url: string
  deliveries: Delivery[]
  /** Answer with this status (e.g. 500) instead of 200. */
  status: number
  close(): Promise<void>
}

export async function startReceiver (port = 0): Promise<Receiver> {
  const deliveries: Delivery[] = []
  const state = { status: 200 }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { body += c })
    req.on('end', () => {
      if (state.status === 200) deliveries.push({ headers: req.headers, body, url: req.url ?? '' })
      res.writeHead(state.status, { 'content-type': 'application/json' }).end('{"errcode":0}')
    })
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve) })
  const actual = (server.address() as { port: number }).port
  return Object.assign(state, {
    port: actual,
    url: `http://127.0.0.1:${actual}/hook`,
    deliveries,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }) as Receiver
}

/** A node:http server on a free port that hands each request, with its whole body read, to `answer`. */
export async function startBodyServer (answer: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ url: string, close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { body += c })
    req.on('end', () => answer(req, body, res))
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}
