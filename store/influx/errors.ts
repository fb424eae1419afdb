/**
 * Maps whatever the HTTP transport throws to a MinewatchError that answers
 * "may I retry, and when?": MW_STORE_UNAVAILABLE (retryable, retryAfterMs from
 * Retry-After) when waiting can help, MW_STORE_REJECTED when the data is at fault.
 */
import { MinewatchError, isMinewatchError } from '../../core/errors.js'

/** What the transport rejects with on an HTTP status ≥ 300 (influxdb-client's HttpError). */
interface HttpErrorLike {
  statusCode: number
  body?: string
  headers?: Record<string, string | string[] | undefined>
}

function isHttpError (err: unknown): err is HttpErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as HttpErrorLike).statusCode === 'number'
}

/**
 * Retry-After as milliseconds: delay-seconds or an HTTP-date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable. `now` is injected for tests.
 */
export function parseRetryAfter (value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (v === undefined) return undefined
  const text = v.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000 // delay-seconds
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined // HTTP-date starts with a day name (IMF-fixdate, RFC 850, asctime)
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}

/** The server's own words from an error body: InfluxDB 1.x `{"error": …}`, 2.x `{"message": …}`, or plain text. */
export function errorText (body: string | undefined): string {
  if (body === undefined || body === '') return ''
  try {
    const json = JSON.parse(body) as { error?: unknown, message?: unknown }
    if (typeof json.error === 'string') return json.error
    if (typeof json.message === 'string') return json.message
  } catch { /* not JSON */ }
  return body.trim().slice(0, 500)
}

/** Network error codes after which InfluxDB may well answer again. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET'])

/**
 * Classifies a failed request to InfluxDB. `what` names the operation for the message,
 * e.g. "write to http://influx:8086 (db minewatch)".
 */
export function toStoreError (err: unknown, what: string): MinewatchError {
  if (isMinewatchError(err)) return err
  if (isHttpError(err)) {
    const status = err.statusCode
    const text = errorText(err.body)
    const detail = `${what}: HTTP ${status}${text ? ` ${text}` : ''}`
    const retryAfterMs = parseRetryAfter(err.headers?.['retry-after'])
    // 400 bad line protocol, field type conflict; 413 body too large; 422 (2.x) outside retention:
    // the data is at fault, retrying the same bytes cannot help (413: smaller parts can).
    if (status === 400 || status === 413 || status === 422) {
      return new MinewatchError('MW_STORE_REJECTED', detail, { cause: err, details: { status, error: text } })
    }
    // 429 and 5xx are the server asking us to come back later (Retry-After when it says when).
    // 401/403/404 (credentials, missing database or bucket) are not the data's fault either:
    // keep the data and retry until the operator fixes the setup.
    return new MinewatchError('MW_STORE_UNAVAILABLE', detail, { cause: err, retryAfterMs, details: { status, error: text } })
  }
  const e = err as { code?: unknown, name?: unknown, message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : undefined
  const name = typeof e?.name === 'string' ? e.name : 'Error'
  const message = typeof e?.message === 'string' ? e.message : String(err)
  const kind = code !== undefined && NETWORK_CODES.has(code) ? code : name
  // Timeouts, aborted and refused connections: InfluxDB down or unreachable.
  return new MinewatchError('MW_STORE_UNAVAILABLE', `${what}: ${kind}${message && message !== kind ? ` ${message}` : ''}`, { cause: err })
}
