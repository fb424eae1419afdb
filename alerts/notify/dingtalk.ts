/**
 * DingTalk group robot (自定义机器人). Body: { msgtype: 'markdown', markdown: { title, text } }.
 * Signing (加签): string_to_sign = timestamp + "\n" + secret; sign = URL-encoded base64 of
 * HMAC-SHA256(string_to_sign, key = secret); appended to the webhook URL as &timestamp=&sign=.
 * The timestamp (epoch ms) must be within an hour of DingTalk's clock, so it is taken at send time.
 * Success is HTTP 200 with errcode 0.
 */
import { createHmac } from 'node:crypto'
import { postJson, checkRobotReply, type RobotCodes } from './http.js'

/** DingTalk robot errcodes (open.dingtalk.com, 自定义机器人 错误码). */
export const DINGTALK_CODES: RobotCodes = {
  retry: new Set([
    -1, // 系统繁忙
    130101, // send too fast, exceed 20 times per minute
    130102, // send too fast
    410100 // 发送速度太快而限流
  ]),
  refuse: new Set([
    40035, // 缺少参数 json
    300001, // token is not exist
    310000, // keywords not in content / sign not match / ip not in whitelist
    400013, // 群已被解散
    400101, // access_token 不存在
    400102, // 机器人已停用
    400105, // 不支持的消息类型
    400106, // 机器人不存在
    430101, // 含有不安全的外链
    430102, // 含有不合适的文本
    430103, // 含有不合适的图片
    430104 // 含有不合适的内容
  ])
}

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
  checkRobotReply(url, await postJson(fetchFn, target, body), DINGTALK_CODES)
}
