/** Console texts, Chinese first, English switchable (stored in localStorage). */
import { ALERT_KINDS, ALERT_KIND_NAMES } from '../../core/alerts.js'

export type Lang = 'zh' | 'en'

const TEXTS = {
  title: ['minewatch 矿山监测', 'minewatch mine monitoring'],
  login: ['登录', 'Log in'],
  logout: ['退出', 'Log out'],
  token: ['访问令牌', 'Access token'],
  loginHint: ['使用 API 令牌登录（演示令牌见 npm run demo 启动输出）', 'Log in with an API token (demo tokens are printed by npm run demo)'],
  loginFailed: ['登录失败', 'Login failed'],
  overview: ['监管总览', 'Regulator overview'],
  screen: ['矿山一屏', 'Site one-screen'],
  alerts: ['告警历史', 'Alert history'],
  report: ['日报', 'Daily report'],
  handover: ['交接班', 'Shift handover'],
  hoAt: ['时间(北京)', 'Time (Beijing)'],
  hoIncoming: ['接班', 'On duty'],
  hoOutgoing: ['交班', 'Handing over'],
  hoOpen: ['未确认', 'Open, not acknowledged'],
  hoAcked: ['已确认', 'Acknowledged'],
  hoEscalated: ['已升级', 'Escalated'],
  hoOverdue: ['超过一个班次未确认', 'Unacknowledged for a whole shift'],
  hoSuppressed: ['维护屏蔽', 'Suppressed (maintenance)'],
  hoOffline: ['离线设备', 'Devices offline'],
  hoSubject: ['对象', 'Subject'],
  hoTier: ['升级级别', 'Tier'],
  hoAckedBy: ['确认人', 'Acknowledged by'],
  hoWindow: ['维护时段', 'Window'],
  dust: ['扬尘监测', 'Dust monitors'],
  limit: ['限值', 'limit'],
  trend1h: ['近 1 小时', 'Last 1 h'],
  trend24h: ['近 24 小时', 'Last 24 h'],
  water: ['今日水循环利用率', 'Water recycling today'],
  floor: ['下限', 'floor'],
  ore: ['矿石产量', 'Ore output'],
  mtd: ['本月累计', 'Month to date'],
  ytd: ['本年累计', 'Year to date'],
  monthShare: ['月度许可份额', 'monthly licence share'],
  licence: ['许可年产能', 'licensed per year'],
  online: ['设备在线率', 'Devices online'],
  openAlerts: ['未处理告警', 'Open alerts'],
  noOpenAlerts: ['暂无未处理告警', 'No open alerts'],
  ack: ['确认', 'Acknowledge'],
  note: ['备注', 'Note'],
  map: ['矿区地图', 'Site map'],
  people: ['人员', 'people'],
  vehicles: ['车辆', 'vehicles'],
  monitors: ['监测点', 'monitors'],
  boundary: ['采矿权范围', 'Licence boundary'],
  zones: ['警戒/禁入区', 'Restricted zones'],
  breach: ['越界/闯入', 'breach/intrusion'],
  rank: ['排名', 'Rank'],
  site: ['矿山', 'Site'],
  province: ['省份', 'Province'],
  openAlarms: ['未处理报警', 'Open alarms'],
  exceedMin: ['今日超标分钟', 'Exceedance min today'],
  recycling: ['回用率', 'Recycling'],
  breachesMonth: ['本月越界', 'Breaches this month'],
  completeness: ['数据完整率', 'Data completeness'],
  kind: ['类型', 'Kind'],
  state: ['状态', 'State'],
  from: ['起', 'From'],
  to: ['止', 'To'],
  all: ['全部', 'All'],
  search: ['查询', 'Search'],
  more: ['加载更多', 'Load more'],
  firedAt: ['触发时间', 'Fired at'],
  device: ['设备', 'Device'],
  value: ['数值', 'Value'],
  message: ['内容', 'Message'],
  timeline: ['处置时间线', 'Timeline'],
  evidence: ['证据', 'Evidence'],
  by: ['操作人', 'by'],
  date: ['日期', 'Date'],
  print: ['打印', 'Print'],
  csv: ['导出 CSV', 'Export CSV'],
  partial: ['（当日未结束，数据截至当前）', '(day not over: figures up to now)'],
  metric: ['指标', 'Metric'],
  maxHourly: ['最大小时均值', 'Max hourly mean'],
  recycled: ['回用水量', 'Recycled'],
  fresh: ['新鲜水量', 'Fresh'],
  discharge: ['外排水量', 'Discharge'],
  rate: ['利用率', 'Rate'],
  output: ['产量', 'Output'],
  licenceDaily: ['许可日均', 'Licence daily share'],
  fence: ['电子围栏', 'Electronic fence'],
  boundaryBreaches: ['越界次数', 'Boundary breaches'],
  zoneIntrusions: ['禁区闯入', 'Zone intrusions'],
  uptime: ['设备在线', 'Device uptime'],
  noise: ['厂界噪声', 'Boundary noise'],
  energy: ['能耗', 'Energy'],
  electricity: ['电力', 'Electricity'],
  diesel: ['柴油', 'Diesel'],
  standardCoal: ['折标准煤', 'Standard coal'],
  intensity: ['单位矿石能耗', 'Energy per tonne of ore'],
  energyRole: ['用能环节', 'Use'],
  energyAmount: ['用量', 'Amount'],
  energyToday: ['今日能耗', 'Energy today'],
  aboveLimit: ['高于限值', 'above the limit'],
  noiseValidHours: ['有效小时(昼/夜)', 'Valid hours (day/night)'],
  noiseDayExceed: ['昼间超标小时', 'Day hours above limit'],
  noiseNightExceed: ['夜间超标小时', 'Night hours above limit'],
  noisePeaks: ['夜间突发超标分钟', 'Night peak minutes'],
  noiseMaxLeq: ['最大小时等效声级', 'Highest hourly Leq'],
  noData: ['无数据', 'no data'],
  updated: ['更新', 'updated'],
  live: ['实时', 'live'],
  disconnected: ['连接中断，重连中…', 'connection lost, reconnecting…'],
  tiles: ['底图', 'Tiles'],
  tilesNone: ['无底图（矢量）', 'none (vector)'],
  notFound: ['无权访问或不存在', 'not found or not allowed'],
  below: ['低于下限', 'below floor'],
  ok: ['达标', 'ok'],
  uplink: ['上行链路', 'Uplink'],
  uplinkTarget: ['目标', 'Target'],
  uplinkLink: ['连接', 'Link'],
  uplinkUp: ['已连接', 'connected'],
  uplinkDown: ['未连接', 'disconnected'],
  uplinkBacklog: ['积压', 'Backlog'],
  uplinkLastAck: ['最后确认', 'Last ack'],
  uplinkRate: ['速率', 'Rate'],
  uplinkBound: ['队列上限 · 策略', 'Bound · policy'],
  uplinkDropOldest: ['丢弃最旧', 'drop oldest'],
  uplinkRefuseNew: ['拒收新数据', 'refuse new'],
  uplinkLost: ['丢弃 / 拒收', 'Dropped / refused']
} as const satisfies Record<string, readonly [string, string]>

export type TextKey = keyof typeof TEXTS

let lang: Lang = (globalThis.localStorage?.getItem('mw.lang') as Lang | null) === 'en' ? 'en' : 'zh'

export function currentLang (): Lang { return lang }

export function setLang (l: Lang): void {
  lang = l
  localStorage.setItem('mw.lang', l)
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en'
}

export function t (key: TextKey): string {
  return TEXTS[key][lang === 'zh' ? 0 : 1]
}


const STATE_NAMES: Record<string, readonly [string, string]> = {
  firing: ['告警中', 'firing'], acknowledged: ['已确认', 'acknowledged'], resolved: ['已恢复', 'resolved']
}

const KIND_NAMES: Record<string, readonly [string, string]> = {
  dust: ['扬尘', 'dust'], water: ['水表', 'water'], locator: ['定位', 'locator'], ore: ['计量', 'ore scales'], status: ['状态', 'status'], energy: ['能耗', 'energy']
}

const SEVERITY_NAMES: Record<string, readonly [string, string]> = { warning: ['预警', 'warning'], alarm: ['报警', 'alarm'] }

function pick (table: Record<string, readonly [string, string]>, key: string): string {
  const e = table[key]
  return e ? e[lang === 'zh' ? 0 : 1] : key
}

/** Alert kind names come from core/alerts.ts: the alert texts, payloads and dashboards use the same ones. */
export const alertKindName = (k: string): string => (ALERT_KIND_NAMES[lang] as Readonly<Record<string, string>>)[k] ?? k
export const stateName = (s: string): string => pick(STATE_NAMES, s)
export const deviceKindName = (k: string): string => pick(KIND_NAMES, k)
export const severityName = (s: string): string => pick(SEVERITY_NAMES, s)
export const ALERT_KIND_IDS: readonly string[] = ALERT_KINDS

/** Beijing time (the regulatory day), whatever the browser's zone. */
export function fmtTime (ms: number, withDate = false): string {
  const d = new Date(ms + 8 * 3600_000)
  const p = (n: number) => String(n).padStart(2, '0')
  const time = `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  return withDate ? `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${time}` : time
}

export function fmtNum (v: number | null | undefined, digits = 2): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : v.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: digits, minimumFractionDigits: 0 })
}

export function fmtPct (v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`
}

/** An averaging window for a limit's label: 24 h, 1 h, 2 min, 30 s. */
export function fmtWindow (s: number): string {
  if (s % 3600 === 0) return `${s / 3600} h`
  if (s % 60 === 0) return `${s / 60} min`
  return `${s} s`
}
