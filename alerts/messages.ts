/**
 * Alert texts, Chinese by default (config.alerts.language, or a subscription's language),
 * naming the site, the device or entity, the value, the limit and the standard.
 */
import { ALERT_KIND_NAMES, CLOSED_PREFIX, CLOSE_REASON_NAMES, DATA_BACK_REASON, NO_DATA_REASON, roundValue, type Alert, type AlertState, type CloseReason } from '../core/alerts.js'
import type { Registry } from '../core/registry.js'
import type { Site } from '../core/sites.js'
import { CALENDAR_DAY_S } from '../core/dust.js'
import { FORMULA_INFO } from '../core/water.js'
import { BEIJING_OFFSET_MS } from '../core/time.js'
import { SUPPRESSED_PREFIX, suppressionWindow, unsuppressedReason } from '../core/schedules.js'
import { GROUPED_PREFIX, GROUP_NOTIFIED_PREFIX, INHIBITED_PREFIX, INHIBITION_ENDED_PREFIX, groupOfReason, inhibitorOfReason, ungroupedReason } from '../core/storm.js'
import type { FixEvidence } from './rules/signal.js'
import { escalationStep } from '../core/escalation.js'
import type { EscalationText } from './escalation.js'

export type Language = 'zh' | 'en'

export interface TextInput {
  alert: Alert
  to: AlertState
  reason: string
  by?: string | null
  note?: string | null
  /** The fixes that proved a fence transition, listed in its text. */
  evidence?: readonly FixEvidence[]
  /** An escalation step or reminder (reason escalated:tier<N> / reminder:tier<N>:<k>): the tier's name and the rule's own reason. */
  escalation?: EscalationText
}

/** The proving fixes, e.g. `2025-03-01T10:00:05+08:00 119.9180,30.9515 ±3 m 界外 30 m`. */
function fixesText (fixes: readonly FixEvidence[] | undefined, lang: Language): string {
  if (!fixes || fixes.length === 0) return ''
  const one = (f: FixEvidence) => {
    const at = new Date(f.ts + BEIJING_OFFSET_MS).toISOString().slice(0, 19) + '+08:00'
    const alt = f.alt === null ? '' : ` ${fmt(f.alt)} m`
    return `${at} ${f.lon.toFixed(6)},${f.lat.toFixed(6)}${alt} ±${fmt(f.accuracyM)} m ${lang === 'zh' ? '超出' : 'beyond'} ${fmt(f.beyondM)} m`
  }
  return lang === 'zh' ? `;定位依据:${fixes.map(one).join(';')}` : `; fixes: ${fixes.map(one).join('; ')}`
}

const METRIC: Record<string, string> = { tsp: 'TSP', pm10: 'PM10', pm25: 'PM2.5' }

const REASON: Record<Language, Record<string, string>> = {
  zh: {
    flag_F: '数据标记 F(停运)', flag_M: '数据标记 M(维护)', flag_S: '数据标记 S(手工输入)', flag_D: '数据标记 D(故障)',
    flag_C: '数据标记 C(校准)', flag_T: '数据标记 T(超量程)', flag_B: '数据标记 B(通讯异常)', flag_unknown: '未知数据标记',
    negative_concentration: '浓度为负值', pm25_above_pm10: 'PM2.5 大于 PM10', pm10_above_tsp: 'PM10 大于 TSP', pm25_above_tsp: 'PM2.5 大于 TSP',
    totaliser_backwards: '累计值倒走(非清零、非溢出)', negative_tonnes: '净重为负值', value_unchanged: '数值长时间不变', value_changed: '数值恢复变化',
    clean_readings: '数据恢复正常'
  },
  en: {
    flag_F: 'data flag F (stopped)', flag_M: 'data flag M (maintenance)', flag_S: 'data flag S (manual value)', flag_D: 'data flag D (fault)',
    flag_C: 'data flag C (calibrating)', flag_T: 'data flag T (over range)', flag_B: 'data flag B (communication fault)', flag_unknown: 'unknown data flag',
    negative_concentration: 'negative concentration', pm25_above_pm10: 'PM2.5 above PM10', pm10_above_tsp: 'PM10 above TSP', pm25_above_tsp: 'PM2.5 above TSP',
    totaliser_backwards: 'totaliser ran backwards (no reset or rollover pattern)', negative_tonnes: 'negative net weight', value_unchanged: 'value unchanged for too long',
    value_changed: 'value moving again', clean_readings: 'readings normal again'
  }
}

/** Number shown in texts: up to VALUE_DECIMALS decimals, no trailing zeros. */
export function fmt (v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—'
  return String(roundValue(v))
}

function pct (v: number | null): string {
  return v === null || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(1)}%`
}

function duration (s: number, lang: Language): string {
  if (s % 86_400 === 0) return lang === 'zh' ? `${s / 86_400}天` : `${s / 86_400} d`
  if (s % 3600 === 0) return lang === 'zh' ? `${s / 3600}小时` : `${s / 3600} h`
  if (s % 60 === 0) return lang === 'zh' ? `${s / 60}分钟` : `${s / 60} min`
  return lang === 'zh' ? `${s}秒` : `${s} s`
}

/** Human name of the kind of alert (core/alerts.ts ALERT_KIND_NAMES). */
export function kindName (kind: string, lang: Language): string {
  return (ALERT_KIND_NAMES[lang] as Record<string, string>)[kind] ?? kind
}

/** The averaging window's name: 日均值 for a calendar day, 小时均值 for 1 h, else e.g. 5分钟均值. */
function windowName (s: number, lang: Language): string {
  if (s === CALENDAR_DAY_S) return lang === 'zh' ? '日均值' : 'daily mean'
  if (s === 3600) return lang === 'zh' ? '小时均值' : 'hourly average'
  return lang === 'zh' ? `${duration(s, lang)}均值` : `${duration(s, lang)} average`
}

/** Title line, e.g. 【告警】扬尘超标 · 湖州长兴某建筑石料矿; an operator's close (reason closed:…) is 【关闭】. */
export function alertTitle (alert: Alert, to: AlertState, registry: Registry, lang: Language, reason = ''): string {
  const site = registry.site(alert.site)?.name ?? alert.site
  const closed = to === 'resolved' && reason.startsWith(CLOSED_PREFIX)
  const step = escalationStep(reason)
  const tag = step !== null
    ? (lang === 'zh' ? (step.reminder === 0 ? '【升级】' : '【提醒】') : (step.reminder === 0 ? '[ESCALATED] ' : '[REMINDER] '))
    : lang === 'zh'
    ? (closed ? '【关闭】' : to === 'resolved' ? '【恢复】' : to === 'acknowledged' ? '【已确认】' : alert.severity === 'alarm' ? '【报警】' : '【预警】')
    : (closed ? '[CLOSED] ' : to === 'resolved' ? '[RESOLVED] ' : to === 'acknowledged' ? '[ACKNOWLEDGED] ' : alert.severity === 'alarm' ? '[ALARM] ' : '[WARNING] ')
  return `${tag}${kindName(alert.kind, lang)} · ${site}`
}

/** A zone as texts name it: 名称(id), or the bare id when it left the configuration. */
function zoneLabel (site: Site | undefined, id: string): string {
  const zone = site?.zones.find((z) => z.id === id)
  return zone ? `${zone.name}(${zone.id})` : id
}

/** The reason a text is built from: a severity change's `escalated:<rule reason>` is the rule's reason; an escalation step (`escalated:tier<N>`) stays itself. */
export function textReason (reason: string): string {
  return reason.startsWith('escalated:') && escalationStep(reason) === null ? reason.slice('escalated:'.length) : reason
}

/** The full one-paragraph text of a transition. */
export function alertText (input: TextInput, registry: Registry, lang: Language): string {
  const { alert: a } = input
  // the rule's own reason decides the body; a maintenance window's suppression, a storm group or an escalation step adds a sentence below
  const step = escalationStep(input.reason)
  const reason = step !== null ? input.escalation?.ruleReason ?? '' : ungroupedReason(unsuppressedReason(input.reason))
  const window = suppressionWindow(input.reason)
  // an operator's close: the body says what the alert was about, not that it cleared
  const to = reason.startsWith(CLOSED_PREFIX) ? 'firing' : input.to
  const zh = lang === 'zh'
  const site = registry.site(a.site)
  const dev = a.device ? registry.device(a.device)?.device : undefined
  const devName = a.device ? (dev?.name ? (zh ? `${dev.name}(${a.device})` : `${dev.name} (${a.device})`) : a.device) : ''
  const parts = a.subject.split(':')
  const v = fmt(a.value); const lim = fmt(a.limit); const u = a.unit ? ` ${a.unit}` : ''
  const std = a.standard
  let body: string
  switch (a.kind) {
    case 'dust_exceedance': {
      const metric = METRIC[parts[1] ?? ''] ?? parts[1] ?? ''
      const dayOf = parts[2] === 'day' ? parts[3] ?? '' : ''
      const win = dayOf ? `${dayOf} ${windowName(CALENDAR_DAY_S, lang)}` : windowName(Number(parts[2] ?? 0), lang)
      body = to === 'resolved'
        ? (zh ? `${devName} ${metric} ${win} ${v}${u} 已不超过限值(限值 ${lim}${u},${std})` : `${devName} ${metric} ${win} ${v}${u} is within the limit again (limit ${lim}${u}, ${std})`)
        : (zh ? `${devName} ${metric} ${win} ${v}${u},超过限值 ${lim}${u}(${std})` : `${devName} ${metric} ${win} ${v}${u} exceeds the limit ${lim}${u} (${std})`)
      break
    }
    case 'water_recycling_low': {
      const date = parts[1] ?? ''
      const f = FORMULA_INFO[site?.water.formula ?? 'reuse']
      const day = date ? (zh ? `${date} 全天` : `whole-day (${date}) `) : (zh ? '当日累计' : 'day-to-date ')
      const why = reason === 'late_data_day_rate_at_floor' ? (zh ? ',补传数据后已达下限' : ', at the floor after late data') : reason === 'day_ended' ? (zh ? ',当日结束,以全天结果为准' : ', day over: the whole-day verdict follows') : ''
      body = zh ? `${day}${f.zh} ${pct(a.value)},下限 ${pct(a.limit)}${why}(${std})` : `${day}${f.en} ${pct(a.value)}, floor ${pct(a.limit)}${why} (${std})`
      break
    }
    case 'boundary_breach': {
      const entity = parts[0] ?? ''
      const fixes = fixesText(input.evidence, lang)
      if (parts[1] === 'elevation') {
        const range = site?.elevation
        const rangeText = range ? `${fmt(range.minM)}–${fmt(range.maxM)} m` : '—'
        const below = reason === 'below_licensed_elevation'
        body = to === 'resolved'
          ? (zh ? `${entity} 已回到许可开采标高 ${rangeText} 内(定位终端 ${devName},${std})` : `${entity} is back within the licensed elevation ${rangeText} (locator ${devName}, ${std})`)
          : (zh ? `${entity} ${below ? '低于' : '高于'}许可开采标高 ${rangeText}(${below ? '超层' : '越界'}),连续定位最远超出 ${v} m(定位终端 ${devName};${std}${fixes})`
            : `${entity} is ${below ? 'below' : 'above'} the licensed elevation ${rangeText}, up to ${v} m beyond it in consecutive fixes (locator ${devName}; ${std}${fixes})`)
        break
      }
      body = to === 'resolved'
        ? (zh ? `${entity} 已回到矿区范围内(定位终端 ${devName},${std})` : `${entity} is back inside the licence boundary (locator ${devName}, ${std})`)
        : (zh ? `${entity} 越出采矿许可范围,连续定位最远在界外 ${v} m(定位终端 ${devName};${std}${fixes})` : `${entity} is outside the licence boundary, up to ${v} m outside in consecutive fixes (locator ${devName}; ${std}${fixes})`)
      break
    }
    case 'zone_intrusion': {
      const zoneName = zoneLabel(site, parts[0] ?? '')
      const entity = parts[1] ?? ''
      body = to === 'resolved'
        ? (zh ? `${entity} 已离开 ${zoneName}(${std})` : `${entity} has left ${zoneName} (${std})`)
        : (zh ? `${entity} 进入 ${zoneName}(定位精度 ${v} m;定位终端 ${devName};${std})` : `${entity} entered ${zoneName} (accuracy ${v} m; locator ${devName}; ${std})`)
      break
    }
    case 'blasting_zone_entry': {
      const zoneName = zoneLabel(site, parts[0] ?? '')
      const entity = parts[1] ?? ''
      body = to === 'resolved'
        ? (reason === 'blasting_window_ended'
            ? (zh ? `${zoneName} 爆破时段已结束,${entity} 不再属于警戒区内人员(${std})` : `the blasting window of ${zoneName} is over: ${entity} is no longer inside a no-entry zone (${std})`)
            : (zh ? `${entity} 已撤离爆破警戒区 ${zoneName}(${std})` : `${entity} has left the blasting zone ${zoneName} (${std})`))
        : (zh ? `爆破时段内 ${entity} 在警戒区 ${zoneName} 内,须立即撤离(定位精度 ${v} m;定位终端 ${devName};${std})` : `${entity} is inside the blasting zone ${zoneName} during a blasting window and must leave now (accuracy ${v} m; locator ${devName}; ${std})`)
      break
    }
    case 'sos':
      body = zh ? `${a.subject} 发出紧急呼救(定位终端 ${devName};${std}),须人工确认并关闭` : `${a.subject} raised an SOS call (locator ${devName}; ${std}); an operator must acknowledge and close it`
      break
    case 'over_speed': {
      const zoneName = zoneLabel(site, parts[0] ?? '')
      const entity = parts[1] ?? ''
      body = to === 'resolved'
        ? (zh ? `${entity} 在 ${zoneName} 内已不超速(限速 ${lim} km/h,${std})` : `${entity} is within the speed limit in ${zoneName} again (limit ${lim} km/h, ${std})`)
        : (zh ? `${entity} 在 ${zoneName} 内连续超速,至少 ${v} km/h,限速 ${lim} km/h(定位终端 ${devName};${std})` : `${entity} is speeding in ${zoneName}: at least ${v} km/h in consecutive fixes, limit ${lim} km/h (locator ${devName}; ${std})`)
      break
    }
    case 'zone_overstay': {
      const zoneName = zoneLabel(site, parts[0] ?? '')
      const entity = parts[1] ?? ''
      body = to === 'resolved'
        ? (zh ? `${entity} 已离开 ${zoneName}(${std})` : `${entity} has left ${zoneName} (${std})`)
        : (zh ? `${entity} 在 ${zoneName} 内连续停留 ${v} 秒,超过限值 ${lim} 秒(定位终端 ${devName};${std})` : `${entity} has been inside ${zoneName} for ${v} s, above the limit of ${lim} s (locator ${devName}; ${std})`)
      break
    }
    case 'noise_exceedance': {
      const peak = parts[2] === 'peak'
      const night = reason.startsWith('night')
      body = to === 'resolved'
        ? (zh ? `${devName} 厂界噪声已回落,${peak ? '最大声级' : '小时等效声级'} ${v} dB(A)(限值 ${lim} dB(A),${std})` : `${devName} boundary noise is back down: ${peak ? 'level' : 'hourly Leq'} ${v} dB(A) (limit ${lim} dB(A), ${std})`)
        : peak
          ? (zh ? `${devName} 夜间突发噪声最大声级 ${v} dB(A),超过夜间限值加允许幅度 ${lim} dB(A)(${std})` : `${devName} night sudden noise reached ${v} dB(A), above the night limit plus its allowance, ${lim} dB(A) (${std})`)
          : (zh ? `${devName} ${night ? '夜间' : '昼间'}小时等效声级 ${v} dB(A),超过限值 ${lim} dB(A)(${std})` : `${devName} ${night ? 'night' : 'day'} hourly Leq ${v} dB(A) exceeds the limit of ${lim} dB(A) (${std})`)
      break
    }
    case 'person_motionless':
      body = to === 'resolved'
        ? (zh ? `${a.subject} 已恢复移动(移动 ${v} m;${std})` : `${a.subject} is moving again (moved ${v} m; ${std})`)
        : (zh ? `${a.subject} 已 ${v} 秒未移动,超过限值 ${lim} 秒,可能倒地或被困,请立即联系确认(定位终端 ${devName};${std})` : `${a.subject} has not moved for ${v} s, above the limit of ${lim} s: may be down or trapped, check at once (locator ${devName}; ${std})`)
      break
    case 'tag_lost':
      body = to === 'resolved'
        ? (zh ? `${a.subject} 已恢复定位上报(中断 ${v} 秒;${std})` : `${a.subject} is seen again (after ${v} s; ${std})`)
        : (zh ? `${a.subject} 已 ${v} 秒无定位,超过限值 ${lim} 秒(最后经 ${devName} 上报;${std})` : `${a.subject} not seen for ${v} s, above the limit of ${lim} s (last relayed by ${devName}; ${std})`)
      break
    case 'energy_intensity_high': {
      const date = parts[1] ?? ''
      body = to === 'resolved'
        ? (zh ? `${date} 全天单位矿石能耗 ${v} kgce/t,补传数据后已不高于限值 ${lim} kgce/t(${std})` : `whole-day (${date}) energy per tonne of ore ${v} kgce/t, within the limit of ${lim} kgce/t after late data (${std})`)
        : (zh ? `${date} 全天单位矿石能耗 ${v} kgce/t,高于限值 ${lim} kgce/t(${std})` : `whole-day (${date}) energy per tonne of ore ${v} kgce/t is above the limit of ${lim} kgce/t (${std})`)
      break
    }
    case 'zone_overcrowded': {
      const zoneName = zoneLabel(site, a.subject)
      body = to === 'resolved'
        ? (zh ? `${zoneName} 人数 ${v} 人,已回落(定员 ${lim} 人,${std})` : `${zoneName} holds ${v} people again (limit ${lim}, ${std})`)
        : (zh ? `${zoneName} 人数 ${v} 人,超过定员 ${lim} 人(${std})` : `${zoneName} holds ${v} people, above its limit of ${lim} (${std})`)
      break
    }
    case 'over_capacity': {
      const year = reason.startsWith('year_')
      body = year
        ? (zh ? `本年累计产量 ${v} t,超过许可年产能 ${lim} t(${std})` : `year-to-date output ${v} t exceeds the licensed ${lim} t a year (${std})`)
        : (zh ? `本月累计产量 ${v} t,超过月度分摊限额 ${lim} t(${std})` : `month-to-date output ${v} t exceeds its pro-rata share ${lim} t (${std})`)
      break
    }
    case 'device_offline':
      body = to === 'resolved'
        ? (zh ? `${devName} 已恢复上报` : `${devName} is reporting again`)
        : (zh ? `${devName} 已 ${v} 秒无数据(阈值 ${lim} 秒)` : `${devName} sent nothing for ${v} s (limit ${lim} s)`)
      break
    case 'data_quality': {
      const what = REASON[lang][reason] ?? reason
      const field = parts[1] === 'stuck' ? ` ${parts[2] ?? ''}` : ''
      body = zh ? `${devName}${field}:${what}${a.value !== null ? `,数值 ${v}${u}` : ''}` : `${devName}${field}: ${what}${a.value !== null ? `, value ${v}${u}` : ''}`
      break
    }
    default:
      body = `${a.subject} ${v}${u}`
  }
  let text = `${alertTitle(a, input.to, registry, lang, step !== null ? input.reason : reason)}${zh ? '：' : ': '}${body}`
  if (step !== null) {
    const who = input.escalation?.tierName ?? `tier ${step.tier}`
    text += step.reminder === 0
      ? (zh ? `。告警未确认,已升级至第 ${step.tier} 级:${who}` : `. Not acknowledged: escalated to tier ${step.tier}, ${who}`)
      : (zh ? `。告警仍未确认,第 ${step.tier} 级(${who})第 ${step.reminder} 次提醒` : `. Still not acknowledged: reminder ${step.reminder} at tier ${step.tier} (${who})`)
  }
  if (window !== null) {
    text += input.reason.startsWith(SUPPRESSED_PREFIX)
      ? (zh ? `。处于维护时段 ${window} 内,已记录、暂不推送` : `. Inside maintenance window ${window}: recorded, not delivered`)
      : (zh ? `。维护时段 ${window} 已结束,告警仍未解除,现推送` : `. Maintenance window ${window} is over and the alert is still open: delivered now`)
  }
  text += stormSentence(input.reason, lang)
  if (reason.startsWith(CLOSED_PREFIX)) {
    const why = (CLOSE_REASON_NAMES[lang] as Record<string, string>)[reason.slice(CLOSED_PREFIX.length) as CloseReason] ?? reason
    text += zh ? `。已由 ${input.by ?? ''} 手动关闭,原因:${why}${input.note ? `;${input.note}` : ''}` : `. Closed by ${input.by ?? ''}, reason: ${why}${input.note ? `; ${input.note}` : ''}`
  } else if (reason === NO_DATA_REASON && a.noDataSince != null) {
    const since = new Date(a.noDataSince + BEIJING_OFFSET_MS).toISOString().slice(0, 19) + '+08:00'
    text += zh ? `。自 ${since} 起无数据(证据缺失),告警保持未解除` : `. No data since ${since} (evidence missing): the alert stays open`
  } else if (reason === DATA_BACK_REASON) {
    text += zh ? '。设备已恢复上报,告警依据恢复,待数据判定是否解除' : '. The device reports again: the evidence is back, readings decide whether it clears'
  } else if (to === 'acknowledged' && input.by) {
    text += zh ? `。已由 ${input.by} 确认${input.note ? `:${input.note}` : ''}` : `. Acknowledged by ${input.by}${input.note ? `: ${input.note}` : ''}`
  }
  return text
}

/** The sentence storm control adds to a transition's text (core/storm.ts), or ''. */
function stormSentence (reason: string, lang: Language): string {
  const zh = lang === 'zh'
  const group = groupOfReason(reason)
  const by = inhibitorOfReason(reason)
  if (reason.startsWith(GROUPED_PREFIX)) return zh ? `。已归入告警组 ${group},汇总后推送` : `. Held for alert group ${group}: delivered in one notification`
  if (reason.startsWith(GROUP_NOTIFIED_PREFIX)) return zh ? `。已随告警组 ${group} 汇总推送` : `. Delivered with alert group ${group}`
  if (reason.startsWith(INHIBITED_PREFIX)) return zh ? `。上级设备离线(告警 ${by}),本告警已记录、被抑制,不单独推送` : `. Its parent device is offline (alert ${by}): recorded, inhibited, not delivered on its own`
  if (reason.startsWith(INHIBITION_ENDED_PREFIX)) return zh ? `。上级设备已恢复(告警 ${by} 已解除),本设备仍离线,现推送` : `. Its parent device is back (alert ${by} resolved) and this device is still offline: delivered now`
  return ''
}
