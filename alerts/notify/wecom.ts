/**
 * WeCom (企业微信) group robot. Body: { msgtype: 'markdown', markdown: { content } }, content at
 * most 4096 bytes; the webhook URL carries the robot key. Success is HTTP 200 with errcode 0.
 */
import { postJson, checkRobotReply, type RobotCodes } from './http.js'

/** WeCom global errcodes (developer.work.weixin.qq.com, 全局错误码) a group robot answers. */
export const WECOM_CODES: RobotCodes = {
  retry: new Set([
    -1, // 系统繁忙
    45009 // 接口调用超过限制 (20 messages per minute per robot)
  ]),
  refuse: new Set([
    40008, // 不合法的消息类型
    40035, // 不合法的参数
    40058, // 不合法的参数 (a field of the body)
    44004, // 文本消息 content 参数为空
    45002, // 消息内容大小超过限制
    93000 // invalid webhook url: the robot key is wrong or the robot was removed
  ])
}

/** Delivers one body; throws a delivery error on a transport error, non-2xx or errcode ≠ 0. */
export async function sendWeCom (fetchFn: typeof fetch, url: string, body: string): Promise<void> {
  checkRobotReply(url, await postJson(fetchFn, url, body), WECOM_CODES)
}
