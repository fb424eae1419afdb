/**
 * Generic webhook: POST of the JSON event, with
 *   X-Minewatch-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed by subscription.secret>
 *   X-Minewatch-Delivery:  <delivery id, the same on every retry: receivers dedupe on it>
 */
import { createHmac } from 'node:crypto'
import { postJson } from './http.js'

export const SIGNATURE_HEADER = 'X-Minewatch-Signature'
export const DELIVERY_HEADER = 'X-Minewatch-Delivery'

/** `sha256=<hex>` of the body. */
export function webhookSignature (secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`
}

/** Delivers one body; throws MW_DELIVERY_FAILED unless the receiver answers 2xx. */
export async function sendWebhook (fetchFn: typeof fetch, url: string, secret: string | undefined, deliveryId: string, body: string): Promise<void> {
  const headers: Record<string, string> = { [DELIVERY_HEADER]: deliveryId }
  if (secret) headers[SIGNATURE_HEADER] = webhookSignature(secret, body)
  await postJson(fetchFn, url, body, headers)
}
