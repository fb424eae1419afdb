/**
 * Bodies delivered for a transition, one per subscription type, built when the transition is
 * stored and kept verbatim in the outbox (so every retry sends the same bytes).
 */
import { createHash } from 'node:crypto'
import { isEvidenceTransition, type Alert, type AlertTransition } from '../../core/alerts.js'
import type { Registry } from '../../core/registry.js'
import { BEIJING_OFFSET_MS } from '../../core/time.js'
import { alertText, alertTitle, fmt, kindName, textReason, type Language } from '../messages.js'
import type { EscalationText } from '../escalation.js'
import { escalationStep } from '../../core/escalation.js'
import type { SmsParams } from './sms.js'
import type { Subscription } from './subscriptions.js'

/** WeCom group robots take at most 4096 bytes of markdown content. */
export const WECOM_MAX_BYTES = 4096

/** Delivery id: stable for (alert, transition, subscription), so re-enqueueing never makes a new one. */
export function deliveryId (alertId: string, seq: number, subscription: string): string {
  const h = createHash('sha256').update(`${alertId}\n${seq}\n${subscription}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** 'YYYY-MM-DD HH:mm:ss' in Beijing time. */
export function beijingTime (t: number): string {
  return new Date(t + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')
}

/** The JSON event sent to webhooks and MQTT. */
export interface AlertEvent {
  deliveryId: string
  subscription: string
  /** alert.firing | alert.acknowledged | alert.resolved | alert.no_data (evidence missing, still open) | alert.data_back | alert.escalated | alert.reminder */
  event: string
  language: Language
  text: string
  alert: Alert
  transition: AlertTransition
}

/** Text of the transition in `lang` (the stored message when the language is the engine's). */
function textFor (alert: Alert, t: AlertTransition, registry: Registry, lang: Language, engineLang: Language, escalation?: EscalationText): string {
  if (lang === engineLang && t.message) return t.message
  return alertText({ alert, to: t.to, reason: textReason(t.reason), by: t.by, note: alert.ackNote, escalation }, registry, lang)
}

/** Markdown (and WeCom's <font>) syntax → look-alike full-width characters, which render as themselves. */
const MARKDOWN_SAFE: Readonly<Record<string, string>> = {
  '\\': '＼', '`': '｀', '*': '＊', _: '＿', '~': '～', '#': '＃', '>': '＞', '<': '＜', '[': '［', ']': '］', '(': '（', ')': '）', '!': '！', '|': '｜', '&': '＆'
}

/**
 * User text (an acknowledgement note, who acknowledged) made inert for robot markdown: no
 * line breaks (a note cannot start a heading, list or quote of its own), no markup characters
 * (no links, images, emphasis or <font> tags of its own).
 */
export function escapeRobotMarkdown (text: string): string {
  return text.replace(/[\r\n\t\u2028\u2029]+/g, ' ').replace(/[\\`*_~#><[\]()!|&]/g, (c) => MARKDOWN_SAFE[c] ?? c)
}

/** Text for a robot: as textFor, but user text in it escaped (escapeRobotMarkdown). */
function robotTextFor (alert: Alert, t: AlertTransition, registry: Registry, lang: Language, engineLang: Language, escalation?: EscalationText): string {
  if (t.by === null && alert.ackNote === null) return textFor(alert, t, registry, lang, engineLang, escalation)
  const by = t.by === null ? null : escapeRobotMarkdown(t.by)
  const note = alert.ackNote === null ? null : escapeRobotMarkdown(alert.ackNote)
  return alertText({ alert, to: t.to, reason: textReason(t.reason), by, note, escalation }, registry, lang)
}

/** The event name of a transition: its target state, the evidence change of an open alert, or an escalation step (alert.escalated, alert.reminder). */
export function eventName (t: AlertTransition): string {
  const step = escalationStep(t.reason)
  if (step !== null) return step.reminder === 0 ? 'alert.escalated' : 'alert.reminder'
  return isEvidenceTransition(t) ? `alert.${t.reason}` : `alert.${t.to}`
}

/** Serialised body for one subscription. */
export function buildPayload (sub: Subscription, id: string, alert: Alert, t: AlertTransition, registry: Registry, engineLang: Language, escalation?: EscalationText): string {
  const lang = sub.language ?? engineLang
  const robot = sub.type === 'dingtalk' || sub.type === 'wecom'
  const text = (robot ? robotTextFor : textFor)(alert, t, registry, lang, engineLang, escalation)
  switch (sub.type) {
    case 'webhook':
    case 'mqtt': {
      const event: AlertEvent = { deliveryId: id, subscription: sub.id, event: eventName(t), language: lang, text, alert, transition: t }
      return JSON.stringify(event)
    }
    case 'dingtalk': {
      const title = alertTitle(alert, t.to, registry, lang, t.reason)
      // DingTalk custom robot, msgtype markdown: { msgtype, markdown: { title, text } }
      return JSON.stringify({ msgtype: 'markdown', markdown: { title, text: markdownLines(alert, t, registry, lang, text, false) } })
    }
    case 'wecom': {
      // WeCom group robot, msgtype markdown: { msgtype, markdown: { content } }, content ≤ 4096 bytes
      let content = markdownLines(alert, t, registry, lang, text, true)
      while (Buffer.byteLength(content) > WECOM_MAX_BYTES) content = content.slice(0, -16)
      return JSON.stringify({ msgtype: 'markdown', markdown: { content } })
    }
    case 'email': return emailBody(alert, t, registry, lang, text)
    case 'aliyun_sms':
    case 'tencent_sms': return smsBody(alert, t, registry, lang)
  }
}

/** SMS template variables (alerts/notify/sms.ts): site, kind (with the state when not firing), value, Beijing time. */
function smsBody (alert: Alert, t: AlertTransition, registry: Registry, lang: Language): string {
  const zh = lang === 'zh'
  const state = t.to === 'resolved' ? (zh ? '(已恢复)' : ' (resolved)') : t.to === 'acknowledged' ? (zh ? '(已确认)' : ' (acknowledged)') : ''
  const params: SmsParams = {
    site: registry.site(alert.site)?.name ?? alert.site,
    kind: `${kindName(alert.kind, lang)}${state}`,
    value: `${fmt(alert.value)}${alert.unit ? ` ${alert.unit}` : ''}`,
    time: beijingTime(t.at).slice(5, 16)
  }
  return JSON.stringify({ params })
}

function markdownLines (alert: Alert, t: AlertTransition, registry: Registry, lang: Language, text: string, wecom: boolean): string {
  let title = alertTitle(alert, t.to, registry, lang, t.reason)
  // the quoted paragraph is the text without its title line (shown as the heading already)
  const body = text.startsWith(title) ? text.slice(title.length).replace(/^[:：]\s*/, '') : text
  if (wecom) {
    // WeCom markdown supports three colours: info (green), comment (grey), warning (orange-red)
    const colour = t.to === 'resolved' ? 'info' : t.to === 'acknowledged' ? 'comment' : 'warning'
    title = `<font color="${colour}">${title}</font>`
  }
  return [`### ${title}`, '', `> ${body}`, '', ...detailRows(alert, t, registry, lang).map(([k, v]) => `- ${k}: ${v}`)].join('\n')
}

/** The labelled facts under a message: site, subject, value, limit, standard, time, alert id. */
function detailRows (alert: Alert, t: AlertTransition, registry: Registry, lang: Language): [string, string][] {
  const zh = lang === 'zh'
  const site = registry.site(alert.site)
  const unit = alert.unit ? ` ${alert.unit}` : ''
  return [
    [zh ? '矿山' : 'Site', `${site?.name ?? alert.site} (${alert.site})`],
    [zh ? '对象' : 'Subject', alert.device && alert.device !== alert.subject ? `${alert.subject} · ${alert.device}` : alert.subject],
    [zh ? '数值' : 'Value', `${fmt(alert.value)}${unit}`],
    [zh ? '限值' : 'Limit', `${fmt(alert.limit)}${unit}`],
    [zh ? '依据' : 'Standard', alert.standard],
    [zh ? '时间' : 'Time', `${beijingTime(t.at)}${zh ? '(北京时间)' : ' (Beijing)'}`],
    [zh ? '告警编号' : 'Alert id', alert.id]
  ]
}

/** Email: subject = the title (state, kind and site); text = the message, then the facts one a line (plain text, nothing to escape). */
function emailBody (alert: Alert, t: AlertTransition, registry: Registry, lang: Language, text: string): string {
  const subject = alertTitle(alert, t.to, registry, lang, t.reason)
  const lines = [text, '', ...detailRows(alert, t, registry, lang).map(([k, v]) => `${k}: ${v}`)]
  return JSON.stringify({ subject, text: lines.join('\n') })
}
