/** One HTTP POST of a JSON body with a timeout; failures become retryable MW_DELIVERY_FAILED errors. */
import { MinewatchError } from '../../core/errors.js'

/** A receiver that has not answered within this is treated as down, ms. */
export const DELIVERY_TIMEOUT_MS = 10_000 // 10 s

/** Posts `body`; resolves with the response text when the status is 2xx, else throws. */
export async function postJson (fetchFn: typeof fetch, url: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  let res: Response
  try {
    res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS)
    })
  } catch (err) {
    const cause = err as Error & { cause?: { code?: string } }
    throw new MinewatchError('MW_DELIVERY_FAILED', `${redactUrl(url)}: ${cause.cause?.code ?? cause.name}: ${cause.message}`, { cause: err })
  }
  const text = await res.text().catch(() => '')
  if (!res.ok) {
    const retryAfter = Number(res.headers.get('retry-after'))
    throw new MinewatchError('MW_DELIVERY_FAILED', `${redactUrl(url)}: HTTP ${res.status} ${text.slice(0, 200)}`,
      Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {})
  }
  return text
}

/** URL without its query (robot URLs carry their access token there). */
export function redactUrl (url: string): string {
  const i = url.indexOf('?')
  return i < 0 ? url : `${url.slice(0, i)}?…`
}

/** DingTalk and WeCom answer HTTP 200 with { errcode, errmsg }: errcode 0 is success. */
export function checkRobotReply (url: string, text: string): void {
  let reply: { errcode?: unknown, errmsg?: unknown }
  try { reply = JSON.parse(text) as typeof reply } catch {
    throw new MinewatchError('MW_DELIVERY_FAILED', `${redactUrl(url)}: reply is not JSON: ${text.slice(0, 200)}`)
  }
  if (reply.errcode !== 0) throw new MinewatchError('MW_DELIVERY_FAILED', `${redactUrl(url)}: errcode ${String(reply.errcode)} ${String(reply.errmsg ?? '')}`)
}
