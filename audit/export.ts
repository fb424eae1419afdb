/**
 * The audit log for inspections: CSV (RFC 4180, UTF-8 with a byte order mark so spreadsheet
 * programs read the Chinese text) and a printable, server-rendered HTML page. Times are Beijing
 * time; every record keeps its seq, prev and hash so a printout can be checked against the chain.
 */
import { canonicalJson, DIGEST_ACTION, type AuditRecord } from '../core/audit.js'
import { csvField } from '../api/reports/csv.js'
import { BEIJING_OFFSET_MS } from '../core/time.js'

export const AUDIT_CSV_HEADER = ['seq', 'time_beijing', 'site', 'actor', 'action', 'target', 'detail', 'prev', 'hash'] as const

/** 'YYYY-MM-DD HH:mm:ss' Beijing time. */
function beijing (t: number): string {
  return new Date(t + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')
}

export function auditCsv (records: readonly AuditRecord[]): string {
  const lines = [AUDIT_CSV_HEADER.join(',')]
  for (const r of records) {
    lines.push([r.seq, beijing(r.at), r.site, r.actor, r.action, r.target, canonicalJson(r.detail), r.prev, r.hash].map(csvField).join(','))
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`
}

function esc (s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** What one record did, in words (the detail as JSON otherwise). */
function summary (r: AuditRecord): string {
  const d = r.detail as Record<string, unknown>
  if (r.action === 'alert.transition') return `${String(d.kind)} ${String(d.subject)}: ${String(d.from ?? '—')} → ${String(d.to)} (${String(d.reason)})${d.note ? ` · ${String(d.note)}` : ''}`
  if (r.action === 'alert.comment') return String(d.text)
  if (r.action === DIGEST_ACTION) return `日摘要 daily digest ${String(d.day)}: ${String(d.records)} records, head ${String(d.head)}`
  return canonicalJson(r.detail)
}

export interface AuditPageInfo {
  title: string
  /** What was asked: site, from, to (shown in the page's header). */
  filter: string
  /** When the page was made (the clock), epoch ms. */
  generatedAt: number
}

/** A printable page (A4 landscape, no scripts, no external resources). */
export function auditHtml (records: readonly AuditRecord[], info: AuditPageInfo): string {
  const rows = records.map((r) => `<tr${r.action === DIGEST_ACTION ? ' class="digest"' : ''}><td>${r.seq}</td><td>${esc(beijing(r.at))}</td><td>${esc(r.site ?? '')}</td><td>${esc(r.actor)}</td><td>${esc(r.action)}</td><td>${esc(r.target ?? '')}</td><td>${esc(summary(r))}</td><td class="h">${esc(r.hash)}</td></tr>`)
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(info.title)}</title>
<style>@page { size: A4 landscape; margin: 12mm } body { font: 11px sans-serif } table { border-collapse: collapse; width: 100% }
th, td { border: 1px solid #999; padding: 2px 4px; vertical-align: top; text-align: left } .h { font-family: monospace; font-size: 9px; word-break: break-all }
tr.digest { background: #eee; font-weight: bold } thead { display: table-header-group }</style></head>
<body><h1>${esc(info.title)}</h1>
<p>${esc(info.filter)} · 生成时间 generated ${esc(beijing(info.generatedAt))}(北京时间 Beijing) · ${records.length} 条记录 records · SHA-256 哈希链 hash chain: <code>minewatch audit verify</code></p>
<table><thead><tr><th>seq</th><th>时间 time</th><th>矿山 site</th><th>操作人 actor</th><th>动作 action</th><th>对象 target</th><th>内容 detail</th><th>hash</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></body></html>
`
}
