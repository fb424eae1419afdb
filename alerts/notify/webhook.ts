/**
 * Generic webhook: POST of the JSON event, with
 *   X-Minewatch-Signature: t=<unix seconds at sending>,v1=<hex HMAC-SHA256 of "<t>.<exact body bytes>", keyed by subscription.secret>
 *   X-Minewatch-Delivery:  <delivery id, the same on every retry: receivers dedupe on it>
 * The timestamp is signed with the body, so a captured request cannot be replayed later than the
 * receiver's tolerance (verifyWebhookSignature: 5 min), and within it the delivery id repeats.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { postJson } from './http.js'

export const SIGNATURE_HEADER = 'X-Minewatch-Signature'
export const DELIVERY_HEADER = 'X-Minewatch-Delivery'
/** How far a signature's timestamp may be from the receiver's clock, seconds. */
export const SIGNATURE_TOLERANCE_S = 300 // 5 min

/** `t=<unix s>,v1=<hex>` for the body sent at `timestampS`. */
export function webhookSignature (secret: string, body: string, timestampS: number): string {
  return `t=${timestampS},v1=${createHmac('sha256', secret).update(`${timestampS}.${body}`, 'utf8').digest('hex')}`
}

/**
 * What a receiver does with a delivery (docs/alerts.md): null when `header` signs `body` with
 * `secret` at a time within `toleranceS` of `nowS`, else the reason it does not.
 */
export function verifyWebhookSignature (secret: string, header: string | undefined, body: string, nowS: number, toleranceS = SIGNATURE_TOLERANCE_S): string | null {
  if (!header) return 'no signature header'
  const parts = new Map(header.split(',').map((p) => { const i = p.indexOf('='); return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const }))
  const t = Number(parts.get('t'))
  const v1 = parts.get('v1')
  if (!Number.isSafeInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1)) return 'malformed signature header'
  if (Math.abs(nowS - t) > toleranceS) return `timestamp ${t} is more than ${toleranceS} s from now`
  const want = Buffer.from(webhookSignature(secret, body, t).slice(`t=${t},v1=`.length), 'hex')
  return timingSafeEqual(want, Buffer.from(v1, 'hex')) ? null : 'signature does not match'
}

/** Delivers one body; `nowMs` is wall-clock time for the signature. Throws a delivery error unless the receiver answers 2xx. */
export async function sendWebhook (fetchFn: typeof fetch, url: string, secret: string, deliveryId: string, body: string, nowMs: number): Promise<void> {
  await postJson(fetchFn, url, body, {
    [DELIVERY_HEADER]: deliveryId,
    [SIGNATURE_HEADER]: webhookSignature(secret, body, Math.floor(nowMs / 1000))
  })
}
