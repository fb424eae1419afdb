/**
 * DingTalk group robot (自定义机器人). Body: { msgtype: 'markdown', markdown: { title, text } }.
 * Signing (加签): string_to_sign = timestamp + "\n" + secret; sign = URL-encoded base64 of
 * HMAC-SHA256(string_to_sign, key = secret); appended to the webhook URL as &timestamp=&sign=.
 * The timestamp (epoch ms) must be within an hour of DingTalk's clock, so it is taken at send time.
 * Success is HTTP 200 with errcode 0.
 */
import { createHmac } from 'node:crypto'
import { postJson, checkRobotReply } from './http.js'

/** The base64 signature (not yet URL-encoded) for `timestamp`. */
export function dingtalkSign (secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64')
}

/** The webhook URL with &timestamp=&sign= appended. */
export function dingtalkSignedUrl (url: string, secret: string, timestamp: number): string {
  const sep = url.includes('?') ? '&' : '?'
  return `${url}${sep}timestamp=${timestamp}&sign=${encodeURIComponent(dingtalkSign(secret, timestamp))}`
}

/** Delivers one body; `now` is wall-clock epoch ms for the signature. */
export async function sendDingTalk (fetchFn: typeof fetch, url: string, secret: string | undefined, body: string, now: number): Promise<void> {
  const target = secret ? dingtalkSignedUrl(url, secret, now) : url
  checkRobotReply(url, await postJson(fetchFn, target, body))
}
