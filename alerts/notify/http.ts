/**
 * One HTTP POST of a JSON body with a timeout. Every failure answers "retry?":
 * MW_DELIVERY_FAILED (retryable: transport errors, 408, 429, 5xx, with Retry-After when sent) or
 * MW_DELIVERY_REFUSED (permanent: any other non-2xx), whose details.answer is the receiver's answer.
 */
import { MinewatchError } from '../../core/errors.js'

/** A receiver that has not answered within this is treated as down, ms. */
export const DELIVERY_TIMEOUT_MS = 10_000 // 10 s
/** Characters of a receiver's answer kept in errors and dead letters. */
export const ANSWER_MAX_CHARS = 500

/** Statuses after which the same request may succeed later (RFC 9110 §15.5.9 408, RFC 6585 §4 429, 5xx). */
function retryableStatus (status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

/** Details of a delivery error: what the receiver answered (status and body, or robot errcode). */
export interface DeliveryErrorDetails { answer: string }

/** The receiver's answer recorded with a failed delivery, or null when it never answered. */
export function answerOf (err: unknown): string | null {
  const d = (err as { details?: unknown } | null)?.details as Partial<DeliveryErrorDetails> | undefined
  return typeof d?.answer === 'string' ? d.answer : null
}

/** A delivery error; `retry` false makes it a dead letter. */
export function deliveryError (retry: boolean, detail: string, answer: string | null, opts: { cause?: unknown, retryAfterMs?: number } = {}): MinewatchError {
  return new MinewatchError(retry ? 'MW_DELIVERY_FAILED' : 'MW_DELIVERY_REFUSED', detail, {
    ...opts, details: answer === null ? undefined : { answer: answer.slice(0, ANSWER_MAX_CHARS) }
  })
}

/** Retry-After as ms: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
function retryAfterMs (header: string | null, now: number): number | undefined {
  if (header === null) return undefined
  const s = Number(header)
  if (Number.isFinite(s) && s > 0) return s * 1000
  const at = Date.parse(header)
  return Number.isFinite(at) && at > now ? at - now : undefined
}

/** Posts `body`; resolves with the response text when the status is 2xx, else throws a delivery error. */
export async function postJson (fetchFn: typeof fetch, url: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  let res: Response
  try {
    res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      redirect: 'manual', // a redirect is not followed: the body and its signature are for this URL
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS)
    })
  } catch (err) {
    const cause = err as Error & { cause?: { code?: string } }
    throw deliveryError(true, `${redactUrl(url)}: ${cause.cause?.code ?? cause.name}: ${cause.message}`, null, { cause: err })
  }
  const text = await res.text().catch(() => '')
  if (res.status < 200 || res.status > 299) {
    const answer = `HTTP ${res.status} ${text}`.trim()
    throw deliveryError(retryableStatus(res.status), `${redactUrl(url)}: ${answer.slice(0, 200)}`, answer, { retryAfterMs: retryAfterMs(res.headers.get('retry-after'), Date.now()) })
  }
  return text
}

/** URL without its query (robot URLs carry their access token there). */
export function redactUrl (url: string): string {
  const i = url.indexOf('?')
  return i < 0 ? url : `${url.slice(0, i)}?…`
}

/** How a robot's errcodes are read: those after which the same message can succeed later. */
export interface RobotCodes {
  /** errcodes that mean "busy / too fast": retried. */
  retry: ReadonlySet<number>
  /** errcodes that mean bad token, bad signature or bad payload: dead letter at once. */
  refuse: ReadonlySet<number>
}

/**
 * DingTalk and WeCom answer HTTP 200 with { errcode, errmsg }: errcode 0 is success. A code in
 * `refuse` is permanent; any other non-zero code (busy, or one not documented) is retried.
 */
export function checkRobotReply (url: string, text: string, codes: RobotCodes): void {
  let reply: { errcode?: unknown, errmsg?: unknown }
  try { reply = JSON.parse(text) as typeof reply } catch {
    throw deliveryError(true, `${redactUrl(url)}: reply is not JSON: ${text.slice(0, 200)}`, text)
  }
  if (reply.errcode === 0) return
  const code = typeof reply.errcode === 'number' ? reply.errcode : NaN
  const answer = `errcode ${String(reply.errcode)} ${String(reply.errmsg ?? '')}`.trim()
  throw deliveryError(!codes.refuse.has(code), `${redactUrl(url)}: ${answer}`, answer)
}
