/**
 * Sockets that connected but never sent a request (HTTP clients open spare connections
 * ahead of need). Node's server.close() closes idle keep-alive connections but waits for
 * these until headersTimeout (60 s), so app.close() destroys them itself.
 */
import type { Server, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

/** Starts tracking `server`'s connections; the returned function destroys those that never carried a request. */
export function trackUnusedConnections (server: Server): () => void {
  const unused = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    unused.add(socket)
    socket.once('close', () => unused.delete(socket))
  })
  server.on('request', (req: IncomingMessage) => { unused.delete(req.socket) })
  return () => {
    for (const socket of unused) socket.destroy()
    unused.clear()
  }
}
