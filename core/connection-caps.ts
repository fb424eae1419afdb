/**
 * Caps per remote address (issue 13): how many connections, or streams, one address may hold at
 * once. Both listeners (MQTT in broker/, HTTP in api/) and the SSE routes count through one
 * `AddressCap`; a slot is taken when a connection opens and given back when it closes, so the
 * count is exact and costs one map entry per address that has anything open.
 */
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/** `::ffff:127.0.0.1` and `127.0.0.1` are the same peer. */
export function peerAddress (address: string | undefined): string {
  if (address === undefined) return 'unknown'
  return address.startsWith('::ffff:') ? address.slice(7) : address
}

export class AddressCap {
  private readonly open = new Map<string, number>()

  constructor (readonly max: number) {}

  /** Takes a slot for `key`; false (nothing taken) when it already holds `max`. */
  take (key: string): boolean {
    const n = this.open.get(key) ?? 0
    if (n >= this.max) return false
    this.open.set(key, n + 1)
    return true
  }

  /** Gives back a slot taken for `key`. */
  release (key: string): void {
    const n = this.open.get(key) ?? 0
    if (n <= 1) this.open.delete(key)
    else this.open.set(key, n - 1)
  }

  count (key: string): number { return this.open.get(key) ?? 0 }
}

/**
 * Caps the connections of an HTTP server per remote address. A connection over the cap never
 * reaches the server's request handling: it is answered at once with a 429 error body naming
 * `code` (read from the socket meanwhile so the peer sees the answer, not a reset) and closed.
 * Installed before any other 'connection' listener the server gets later.
 */
export function capHttpConnections (server: Server, cap: AddressCap, body: { error: string, message: string }, onRefused: (address: string) => void): void {
  const handlers = server.listeners('connection') as Array<(s: Socket) => void>
  server.removeAllListeners('connection')
  server.on('connection', (socket: Socket) => {
    const address = peerAddress(socket.remoteAddress)
    if (!cap.take(address)) {
      onRefused(address)
      const text = JSON.stringify(body)
      socket.on('error', () => {})
      socket.resume()
      socket.end(`HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json; charset=utf-8\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`)
      setTimeout(() => socket.destroy(), 1000).unref()
      return
    }
    socket.once('close', () => cap.release(address))
    for (const h of handlers) h.call(server, socket)
  })
}
