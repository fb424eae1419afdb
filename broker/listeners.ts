/**
 * Network listeners for the broker: TCP always, TLS (node:tls) and MQTT over WebSocket
 * (ws, createWebSocketStream) when configured. Each accepted connection is handed to
 * `accept` as a duplex stream with the peer's address.
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import { readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import { WebSocketServer, createWebSocketStream } from 'ws'
import { MinewatchError } from '../core/errors.js'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/log.js'

/**
 * Connections the kernel queues before they are accepted (Node's default is 511; Linux caps it
 * at net.core.somaxconn, 4096 by default). A flood of logins fills a short queue while the event
 * loop is busy, and a legitimate SYN dropped there waits for its retransmit (1 s, 3 s, 7 s...).
 */
export const LISTEN_BACKLOG = 4096

/** Called for every accepted connection. */
export type AcceptFn = (conn: Duplex, address: string, req?: IncomingMessage) => void

export interface ListenerOptions {
  host: string
  port: number
  /** TLS listener: certificate files from config.broker.tls; port overridden by `tlsPort`. */
  tls?: NonNullable<Config['broker']['tls']> & { port: number }
  /** WebSocket listener on `path`; port overridden by `wsPort`. */
  ws?: NonNullable<Config['broker']['ws']> & { port: number }
  /** WebSocket frames larger than this are refused by ws itself (close code 1009). */
  maxPacketBytes: number
}

export interface Listeners {
  port: number
  tlsPort?: number
  wsPort?: number
  /** Stops accepting, then destroys every connection still open. */
  close(): Promise<void>
}

/** Starts the configured listeners; on failure closes those already started and rejects (MW_PORT_IN_USE when busy). */
export async function startListeners (opts: ListenerOptions, accept: AcceptFn, logger: Logger): Promise<Listeners> {
  const sockets = new Set<Socket>()
  const servers: Server[] = []
  const track = (s: Socket): void => { sockets.add(s); s.once('close', () => sockets.delete(s)) }
  const out: Omit<Listeners, 'close'> = { port: 0 }
  let wss: WebSocketServer | undefined
  try {
    const tcp = createTcpServer({ noDelay: true }, (s) => { track(s); accept(s, s.remoteAddress ?? 'unknown') })
    servers.push(tcp)
    out.port = await listenOn(tcp, opts.port, opts.host, 'MQTT')

    if (opts.tls) {
      const tls = createTlsServer({
        cert: readFileSync(opts.tls.certFile),
        key: readFileSync(opts.tls.keyFile),
        ca: opts.tls.caFile ? readFileSync(opts.tls.caFile) : undefined,
        // caFile means mutual TLS: a client must present a certificate signed by that CA, or the
        // handshake fails (a CA without requestCert would look like mTLS and check nothing)
        requestCert: opts.tls.caFile !== undefined,
        rejectUnauthorized: opts.tls.caFile !== undefined,
        noDelay: true
      }, (s) => accept(s, s.remoteAddress ?? 'unknown'))
      tls.on('connection', track)
      tls.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'TLS handshake failed'))
      servers.push(tls)
      out.tlsPort = await listenOn(tls, opts.tls.port, opts.host, 'MQTT over TLS')
    }

    if (opts.ws) {
      const http: HttpServer = createHttpServer((_req, res) => { res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n') })
      http.on('connection', track)
      wss = new WebSocketServer({ server: http, path: opts.ws.path, maxPayload: opts.maxPacketBytes })
      wss.on('connection', (ws, req) => {
        const stream = createWebSocketStream(ws)
        accept(stream, req.socket.remoteAddress ?? 'unknown', req)
      })
      wss.on('error', (err) => logger.warn({ err: err.message }, 'WebSocket server error'))
      servers.push(http)
      out.wsPort = await listenOn(http, opts.ws.port, opts.host, 'MQTT over WebSocket')
    }
  } catch (err) {
    await closeAll(servers, sockets, wss)
    throw err
  }
  return { ...out, close: () => closeAll(servers, sockets, wss) }
}

async function listenOn (server: Server, port: number, host: string, what: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE'
        ? new MinewatchError('MW_PORT_IN_USE', `${what} ${host}:${port}`, { cause: err })
        : err)
    }
    server.once('error', onError)
    server.listen(port, host, LISTEN_BACKLOG, () => {
      server.off('error', onError)
      resolve((server.address() as { port: number }).port)
    })
  })
}

async function closeAll (servers: Server[], sockets: Set<Socket>, wss?: WebSocketServer): Promise<void> {
  const closed = servers.filter((s) => s.listening).map((s) => new Promise<void>((resolve) => s.close(() => resolve())))
  wss?.close()
  for (const s of sockets) s.destroy()
  sockets.clear()
  await Promise.all(closed)
}
