/**
 * The one notification of an alert group (storm control, alerts/storm.ts): built when the group
 * leader's `group_notified:` transition is stored and kept verbatim in the outbox like any other
 * body. It lists the group's alerts that the subscription matches, each with its own text.
 */
import type { Alert, AlertTransition } from '../../core/alerts.js'
import type { Registry } from '../../core/registry.js'
import { alertText, alertTitle, kindName, type Language } from '../messages.js'
import type { GroupMember } from '../storm.js'
import { beijingTime, WECOM_MAX_BYTES, type AlertEvent } from './payload.js'
import type { Subscription } from './subscriptions.js'
import type { SmsParams } from './sms.js'

/** The group part of the JSON event (webhook, MQTT): `event` is `alert.group`. */
export interface GroupEvent extends AlertEvent {
  group: {
    /** `<group id>/<site or parent device>` (core/storm.ts). */
    key: string
    windowS: number
    size: number
    alerts: Alert[]
  }
}

export interface GroupInput { key: string, windowS: number, members: readonly GroupMember[] }

/** One member's line: its firing text without the title (the heading names kind and site). */
function memberLine (m: GroupMember, registry: Registry, lang: Language): string {
  const title = alertTitle(m.alert, 'firing', registry, lang)
  const text = alertText({ alert: m.alert, to: 'firing', reason: m.reason, by: null }, registry, lang)
  const body = text.startsWith(title) ? text.slice(title.length).replace(/^[:：]\s*/, '') : text
  return `${m.alert.severity === 'alarm' ? (lang === 'zh' ? '[报警]' : '[alarm]') : (lang === 'zh' ? '[预警]' : '[warning]')} ${body}`
}

/** Title, e.g. 【告警汇总】设备离线 · 长兴矿 (3 条). */
export function groupTitle (g: GroupInput, registry: Registry, lang: Language): string {
  const kinds = [...new Set(g.members.map((m) => kindName(m.alert.kind, lang)))].join(lang === 'zh' ? '、' : ', ')
  const sites = [...new Set(g.members.map((m) => registry.site(m.alert.site)?.name ?? m.alert.site))].join(lang === 'zh' ? '、' : ', ')
  const n = g.members.length
  return lang === 'zh' ? `【告警汇总】${kinds} · ${sites}(${n} 条)` : `[GROUPED] ${kinds} · ${sites} (${n} alerts)`
}

export function buildGroupPayload (sub: Subscription, id: string, g: GroupInput, leader: Alert, t: AlertTransition, registry: Registry, engineLang: Language): string {
  const lang = sub.language ?? engineLang
  const zh = lang === 'zh'
  const title = groupTitle(g, registry, lang)
  const lines = g.members.map((m) => memberLine(m, registry, lang))
  const intro = zh
    ? `${g.members.length} 条相关告警${g.windowS > 0 ? `在 ${g.windowS} 秒内` : ''}触发,合并为一条通知(告警组 ${g.key});每条告警仍单独记录`
    : `${g.members.length} related alerts fired${g.windowS > 0 ? ` within ${g.windowS} s` : ''}, sent as one notification (alert group ${g.key}); each is still recorded on its own`
  switch (sub.type) {
    case 'webhook':
    case 'mqtt': {
      const text = `${title}${zh ? '：' : ': '}${intro}\n${lines.map((l, i) => `${i + 1}. ${l}`).join('\n')}`
      const event: GroupEvent = {
        deliveryId: id, subscription: sub.id, event: 'alert.group', language: lang, text, alert: leader, transition: t,
        group: { key: g.key, windowS: g.windowS, size: g.members.length, alerts: g.members.map((m) => m.alert) }
      }
      return JSON.stringify(event)
    }
    case 'dingtalk':
      // DingTalk custom robot, msgtype markdown: { msgtype, markdown: { title, text } }
      return JSON.stringify({ msgtype: 'markdown', markdown: { title, text: markdown(title, intro, lines, t, zh) } })
    case 'wecom': {
      // WeCom group robot, msgtype markdown: { msgtype, markdown: { content } }, content ≤ 4096 bytes
      let content = markdown(`<font color="warning">${title}</font>`, intro, lines, t, zh)
      while (Buffer.byteLength(content) > WECOM_MAX_BYTES) content = content.slice(0, -16)
      return JSON.stringify({ msgtype: 'markdown', markdown: { content } })
    }
    case 'email': {
      const text = [intro, '', ...lines.map((l, i) => `${i + 1}. ${l}`), '', `${zh ? '时间' : 'Time'}: ${beijingTime(t.at)}${zh ? '(北京时间)' : ' (Beijing)'}`].join('\n')
      return JSON.stringify({ subject: title, text })
    }
    case 'aliyun_sms':
    case 'tencent_sms': {
      const kinds = [...new Set(g.members.map((m) => kindName(m.alert.kind, lang)))].join(zh ? '、' : ', ')
      const sites = [...new Set(g.members.map((m) => registry.site(m.alert.site)?.name ?? m.alert.site))].join(zh ? '、' : ', ')
      const params: SmsParams = { site: sites, kind: kinds, value: zh ? `${g.members.length} 条告警` : `${g.members.length} alerts`, time: beijingTime(t.at).slice(5, 16) }
      return JSON.stringify({ params })
    }
  }
}

/** Robot markdown. The member texts are the engine's own (no operator text), so nothing needs escaping. */
function markdown (title: string, intro: string, lines: readonly string[], t: AlertTransition, zh: boolean): string {
  return [`### ${title}`, '', `> ${intro}`, '', ...lines.map((l, i) => `${i + 1}. ${l}`), '', `- ${zh ? '时间' : 'Time'}: ${beijingTime(t.at)}${zh ? '(北京时间)' : ' (Beijing)'}`].join('\n')
}
