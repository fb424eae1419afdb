/**
 * WeCom (企业微信) group robot. Body: { msgtype: 'markdown', markdown: { content } }, content at
 * most 4096 bytes; the webhook URL carries the robot key. Success is HTTP 200 with errcode 0.
 */
import { postJson, checkRobotReply } from './http.js'

/** Delivers one body; throws MW_DELIVERY_FAILED on a transport error, non-2xx or errcode ≠ 0. */
export async function sendWeCom (fetchFn: typeof fetch, url: string, body: string): Promise<void> {
  checkRobotReply(url, await postJson(fetchFn, url, body))
}
