/**
 * GET /alerts/stream: alert transitions as Server-Sent Events (WHATWG HTML §9.2).
 * Each event is `id: <transition seq>`, `event: alert`, `data: <AlertTransition JSON>`,
 * limited to the caller's sites (or the one `site` asked for). A client that reconnects
 * with `Last-Event-ID` first gets every transition it missed (alertStore.transitionsSince),
 * then live ones, without gaps or repeats. Comments (`: heartbeat`) keep proxies from
 * closing an idle stream. A client that falls more than sseMaxBufferedBytes behind is
 * disconnected; it resumes where it stopped with Last-Event-ID.
 */
import { PassThrough } from 'node:stream'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import type { AlertTransition } from '../../core/alerts.js'
import { MinewatchError } from '../../core/errors.js'
import { AddressCap, peerAddress } from '../../core/connection-caps.js'
import { errorBodySchema } from '../errors.js'
import { idParam } from '../params.js'
import { principalOf, querySite } from '../auth/access.js'
import { canSeeSite } from '../auth/principal.js'

/** Reconnection delay suggested to clients, ms (the SSE `retry:` field). */
const RETRY_MS = 3000

/** One SSE event for a transition. */
export function formatEvent (t: AlertTransition): string {
  return `id: ${t.seq}\nevent: alert\ndata: ${JSON.stringify(t)}\n\n`
}

export default async function alertStreamRoutes (fastify: FastifyInstance, { deps, options }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()
  const open = new Set<() => void>()
  const perToken = new AddressCap(deps.config.api.streamsPerToken)
  const perAddress = new AddressCap(deps.config.api.streamsPerAddress)
  fastify.addHook('preClose', async () => { for (const close of [...open]) close() })

  app.get('/alerts/stream', {
    schema: {
      tags: ['alerts'],
      summary: 'Live alert transitions (Server-Sent Events); resume with Last-Event-ID',
      querystring: z.object({ site: idParam.optional() }),
      headers: z.object({ 'last-event-id': z.string().regex(/^\d{1,15}$/, 'must be the id (transition seq) of the last event received').optional() }),
      produces: ['text/event-stream'],
      response: { 200: z.string().describe('text/event-stream'), 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req, reply) => {
    const p = principalOf(req)
    const only = req.query.site === undefined ? undefined : querySite(deps.registry, p, req.query.site).id
    const visible = (t: AlertTransition) => (only === undefined ? canSeeSite(p, t.site) : t.site === only)
    const header = req.headers['last-event-id']
    const resumeAfter = typeof header === 'string' ? Number(header) : undefined
    if (resumeAfter !== undefined && !Number.isSafeInteger(resumeAfter)) throw new MinewatchError('MW_BAD_REQUEST', 'headers.last-event-id: not an integer')
    // caps on open streams: per token (by name: one token may serve a whole control room) and per address
    const address = peerAddress(req.socket.remoteAddress)
    if (!perToken.take(p.name)) {
      deps.metrics.connectionsRefused.inc({ listener: 'sse', cap: 'token' })
      throw new MinewatchError('MW_TOO_MANY_STREAMS', `token ${p.name} holds ${perToken.max} open streams (api.streamsPerToken)`, { retryAfterMs: RETRY_MS })
    }
    if (!perAddress.take(address)) {
      perToken.release(p.name)
      deps.metrics.connectionsRefused.inc({ listener: 'sse', cap: 'address' })
      throw new MinewatchError('MW_TOO_MANY_STREAMS', `address ${address} holds ${perAddress.max} open streams (api.streamsPerAddress)`, { retryAfterMs: RETRY_MS })
    }

    const stream = new PassThrough()
    let lastSent = resumeAfter ?? 0
    let replaying = resumeAfter !== undefined
    let closed = false
    const pending: AlertTransition[] = []

    const write = (text: string) => {
      if (closed) return
      if (stream.writableLength > options.sseMaxBufferedBytes) {
        req.log.warn({ token: p.name, buffered: stream.writableLength }, 'SSE client too slow: disconnected (it may resume with Last-Event-ID)')
        close()
        return
      }
      stream.write(text)
    }
    const send = (t: AlertTransition) => {
      if (t.seq <= lastSent) return // already sent during the replay
      lastSent = t.seq
      write(formatEvent(t))
    }
    const unsubscribe = deps.alerts.onTransition((t) => {
      if (!visible(t)) return
      if (replaying) pending.push(t)
      else send(t)
    })
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), options.sseHeartbeatMs)
    function close (): void {
      if (closed) return
      closed = true
      perToken.release(p.name)
      perAddress.release(address)
      clearInterval(heartbeat)
      unsubscribe()
      open.delete(close)
      stream.end()
    }
    open.add(close)
    reply.raw.once('close', close) // client went away
    stream.once('close', close)

    reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no') // nginx: do not buffer the stream
      // not reused once the stream ends, so app.close() need not wait for a keep-alive timeout
      .header('connection', 'close')
    stream.write(`retry: ${RETRY_MS}\n: connected\n\n`)
    void (reply as FastifyReply).send(stream) // untyped: the 200 schema only documents the stream

    if (resumeAfter !== undefined) {
      try {
        let after = resumeAfter
        while (!closed) {
          const page = await deps.alertStore.transitionsSince(after, options.sseReplayPage)
          for (const t of page) if (visible(t)) send(t)
          if (page.length < options.sseReplayPage) break
          // a long replay waits for the client to take each page (live events are held meanwhile)
          if (stream.writableNeedDrain && !closed) await new Promise((resolve) => { stream.once('drain', resolve); stream.once('close', resolve) })
          after = page[page.length - 1]!.seq
        }
      } catch (err) {
        req.log.error({ err }, 'SSE replay failed')
        close()
        return reply
      }
      replaying = false
      pending.sort((a, b) => a.seq - b.seq)
      for (const t of pending.splice(0)) send(t)
    }
    return reply
  })
}
