/**
 * One structured log line per request, written by hand (fastify's own request logging
 * is off) so it never holds a secret: the Authorization header is logged only as
 * `[redacted]`, secret-looking query parameters (`?token=`, `?access_token=` …) as `[redacted]`,
 * and the caller appears by token name (field `caller`; `token` is a redacted key).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Metrics } from '../core/metrics.js'
import type { RefusalLog } from '../core/refusal-log.js'

/** Request headers worth logging; everything else is left out. */
const LOGGED_HEADERS = ['user-agent', 'accept', 'content-type', 'content-length', 'last-event-id'] as const

/** The request as logged: method, url, route, client, selected headers. */
export function requestSummary (req: FastifyRequest): Record<string, unknown> {
  const headers: Record<string, string> = {}
  for (const h of LOGGED_HEADERS) {
    const v = req.headers[h]
    if (typeof v === 'string') headers[h] = v
  }
  if (req.headers.authorization !== undefined) headers.authorization = '[redacted]'
  return { method: req.method, url: redactUrl(req.url), route: req.routeOptions.url ?? null, remoteAddress: req.ip, headers }
}

/** Query parameters whose value is a secret when someone puts one in a URL. */
const SECRET_PARAMS = /^(token|access_token|api_key|apikey|key|password|secret|auth|authorization)$/i

/** The URL with the value of every secret-looking query parameter replaced by `[redacted]` (a token sent in a URL is never logged). */
export function redactUrl (url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const parts = url.slice(q + 1).split('&').map((kv) => {
    const eq = kv.indexOf('=')
    const name = eq < 0 ? kv : kv.slice(0, eq)
    let decoded = name
    try { decoded = decodeURIComponent(name) } catch { /* keep the raw name */ }
    return eq >= 0 && SECRET_PARAMS.test(decoded) ? `${name}=[redacted]` : kv
  })
  return `${url.slice(0, q)}?${parts.join('&')}`
}

/**
 * onResponse hook: counts the request in minewatch_http_requests_total and logs it. A request
 * refused before it had a caller (401, or 429 from the token checks) goes to `refusals`: one line
 * per address per interval with a count, so a token-guessing flood does not write a line a guess.
 */
export function createResponseHook (metrics: Metrics, refusals: RefusalLog): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async function onResponse (req, reply) {
    const route = req.routeOptions.url ?? 'unmatched'
    metrics.httpRequests.inc({ route, status: String(reply.statusCode) })
    if (req.principal === null && (reply.statusCode === 401 || reply.statusCode === 429)) {
      refusals.note(req.ip, String(reply.statusCode), { request: requestSummary(req), response: { statusCode: reply.statusCode } })
      return
    }
    req.log.info({
      request: requestSummary(req), // not `req`: fastify's req serializer would reduce it
      response: { statusCode: reply.statusCode },
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
      caller: req.principal?.name ?? null
    }, 'request completed')
  }
}
