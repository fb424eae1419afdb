/**
 * Shift handover (交接班, issue 16 point 3): the report of a site at a time, built from its alerts'
 * stored histories (so a past time gives what the control room saw then), its text for the
 * incoming shift's channel, and that channel's body. The roster rules are core/rosters.ts.
 */
import { escalationStep } from '../core/escalation.js'
import { ALERT_KIND_NAMES, type Alert, type AlertState, type AlertTransition } from '../core/alerts.js'
import { lastChange, type HandoverAlert, type HandoverReport, type HandoverShift, type Roster, type Shift } from '../core/rosters.js'
import { SUPPRESSED_PREFIX, SUPPRESSION_ENDED_PREFIX, suppressionWindow } from '../core/schedules.js'
import { beijingTime, deliveryId, escapeRobotMarkdown, WECOM_MAX_BYTES } from './notify/payload.js'
import type { Subscription } from './notify/subscriptions.js'
import type { Language } from './messages.js'

/** Audit action of a handover message sent to the incoming shift (its outbox item is stored in the same transaction). */
export const HANDOVER_ACTION = 'handover.sent'

function shiftInfo (r: Roster, s: Shift, startsAt: number): HandoverShift {
  return { id: s.id, name: s.name, from: s.from, to: s.to, startsAt, onDuty: s.onDuty.map((id) => ({ id, name: r.people.find((p) => p.id === id)?.name ?? id })) }
}

/** An alert as it stood at `at`, from its history (null when it had not fired or was resolved by then). */
export function alertAt (alert: Alert, history: readonly AlertTransition[], at: number): HandoverAlert | null {
  let state: AlertState | null = null
  let ackedBy: string | null = null
  let tier = 1
  let window: string | null = null
  let message = ''
  let severity = alert.severity
  for (const t of history) {
    if (t.at > at) break
    if (t.from === null) message = t.message
    if (t.to === 'firing' && (t.from === null || t.from === 'acknowledged' || (t.reason.startsWith('escalated:') && escalationStep(t.reason) === null))) { tier = 1; ackedBy = null }
    const step = escalationStep(t.reason)
    if (step !== null) tier = step.tier
    if (t.reason.startsWith(SUPPRESSED_PREFIX)) window = suppressionWindow(t.reason)
    if (t.reason.startsWith(SUPPRESSION_ENDED_PREFIX)) window = null
    if (t.to === 'acknowledged' && t.from === 'firing') ackedBy = t.by
    state = t.to
    severity = t.severity
  }
  if (state === null || state === 'resolved') return null
  return { id: alert.id, kind: alert.kind, subject: alert.subject, device: alert.device, severity, state, firedAt: alert.firedAt, ackedBy, tier, window, message }
}

/** The handover report of a site at `at` from its alerts' histories (those open at some time up to `at`). */
export function buildHandover (input: { site: string, siteName: string, roster: Roster | undefined, at: number, alerts: ReadonlyArray<{ alert: Alert, history: readonly AlertTransition[] }> }): HandoverReport {
  const { roster, at } = input
  const change = roster === undefined ? null : lastChange(roster, at)
  const shift = roster !== undefined && change !== null ? shiftInfo(roster, change.incoming, change.at) : null
  const previous = roster !== undefined && change?.outgoing != null ? shiftInfo(roster, change.outgoing.shift, change.outgoing.startsAt) : null
  const all = input.alerts.map((a) => alertAt(a.alert, a.history, at)).filter((a): a is HandoverAlert => a !== null).sort((a, b) => a.firedAt - b.firedAt || a.id.localeCompare(b.id))
  return {
    site: input.site,
    siteName: input.siteName,
    at,
    shift,
    previous,
    open: all.filter((a) => a.state === 'firing' && a.window === null),
    acknowledged: all.filter((a) => a.state === 'acknowledged'),
    escalated: all.filter((a) => a.tier > 1),
    overdue: previous === null ? [] : all.filter((a) => a.state === 'firing' && a.window === null && a.firedAt < previous.startsAt),
    suppressed: all.filter((a) => a.window !== null),
    offline: all.filter((a) => a.kind === 'device_offline' && a.device !== null).map((a) => ({ device: a.device!, since: a.firedAt, alertId: a.id }))
  }
}

const hm = (t: number): string => beijingTime(t).slice(0, 16)

/** The handover message for the incoming shift, e.g. 【交接班】湖州长兴某建筑石料矿 中班(16:00–24:00)接班 … */
export function handoverText (r: HandoverReport, lang: Language, robot: boolean): string {
  const zh = lang === 'zh'
  const esc = (s: string) => robot ? escapeRobotMarkdown(s) : s
  const who = (s: HandoverShift | null) => s === null ? '' : s.onDuty.map((p) => `${esc(p.name)}(${p.id})`).join(zh ? '、' : ', ')
  const line = (a: HandoverAlert) => {
    const kind = (ALERT_KIND_NAMES[lang] as Record<string, string>)[a.kind] ?? a.kind
    const extra = [a.ackedBy !== null ? (zh ? `已由 ${esc(a.ackedBy)} 确认` : `acknowledged by ${esc(a.ackedBy)}`) : '', a.tier > 1 ? (zh ? `已升级至第 ${a.tier} 级` : `escalated to tier ${a.tier}`) : '', a.window !== null ? (zh ? `维护时段 ${a.window}` : `maintenance window ${a.window}`) : ''].filter((x) => x !== '')
    return `- ${a.severity === 'alarm' ? (zh ? '【报警】' : '[ALARM] ') : (zh ? '【预警】' : '[WARNING] ')}${kind} ${a.subject} · ${hm(a.firedAt)}${extra.length > 0 ? ` · ${extra.join(zh ? ',' : ', ')}` : ''}`
  }
  const s = r.shift
  const head = zh
    ? `【交接班】${r.siteName} ${s === null ? '' : `${s.name}(${s.from}–${s.to})`}接班 · ${hm(r.at)}(北京时间)`
    : `[HANDOVER] ${r.siteName} ${s === null ? '' : `${s.name} (${s.from}–${s.to}) `}takes over · ${hm(r.at)} (Beijing)`
  const lines = [head]
  if (s !== null) lines.push(zh ? `接班: ${who(s)}${r.previous === null ? '' : `;交班: ${r.previous.name} ${who(r.previous)}`}` : `On duty: ${who(s)}${r.previous === null ? '' : `; handing over: ${r.previous.name} ${who(r.previous)}`}`)
  lines.push(zh
    ? `未确认 ${r.open.length} · 已确认 ${r.acknowledged.length} · 已升级 ${r.escalated.length} · 超过一个班次未确认 ${r.overdue.length} · 维护屏蔽 ${r.suppressed.length} · 离线设备 ${r.offline.length}`
    : `open ${r.open.length} · acknowledged ${r.acknowledged.length} · escalated ${r.escalated.length} · overdue ${r.overdue.length} · suppressed ${r.suppressed.length} · devices offline ${r.offline.length}`)
  const section = (title: string, items: HandoverAlert[]) => { if (items.length > 0) lines.push(`${title}:`, ...items.map(line)) }
  section(zh ? '未确认' : 'Open', r.open)
  section(zh ? '已确认' : 'Acknowledged', r.acknowledged)
  section(zh ? '维护屏蔽' : 'Suppressed', r.suppressed)
  if (r.offline.length > 0) lines.push(`${zh ? '离线设备' : 'Devices offline'}: ${r.offline.map((o) => `${o.device}(${zh ? '自' : 'since'} ${hm(o.since)})`).join(zh ? '、' : ', ')}`)
  return lines.join('\n')
}

/** The outbox item of a handover to `sub` (webhook, DingTalk or WeCom): its id is fixed by site, shift start and subscription. */
export function handoverDelivery (sub: Subscription, r: HandoverReport, lang: Language, dueAt: number): { id: string, subscription: string, transitionSeq: number, dueAt: number, payload: string } {
  const id = deliveryId(`handover:${r.site}`, r.shift?.startsAt ?? r.at, sub.id)
  const language = sub.language ?? lang
  const robot = sub.type === 'dingtalk' || sub.type === 'wecom'
  const text = handoverText(r, language, robot)
  const title = text.split('\n')[0]!
  let payload: string
  if (sub.type === 'dingtalk') {
    payload = JSON.stringify({ msgtype: 'markdown', markdown: { title, text: `### ${title}\n\n${text.split('\n').slice(1).join('\n\n')}` } })
  } else if (sub.type === 'wecom') {
    let content = `### ${title}\n\n${text.split('\n').slice(1).join('\n')}`
    while (Buffer.byteLength(content) > WECOM_MAX_BYTES) content = content.slice(0, -16)
    payload = JSON.stringify({ msgtype: 'markdown', markdown: { content } })
  } else {
    payload = JSON.stringify({ deliveryId: id, subscription: sub.id, event: 'handover', language, text, handover: r })
  }
  // transitionSeq 0: a handover is no alert transition (the audit record handover.sent holds it)
  return { id, subscription: sub.id, transitionSeq: 0, dueAt, payload }
}
