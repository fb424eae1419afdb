/**
 * ForwardedReportStore on the state file: one row per site-day, the report a site forwarded last
 * (a later computation replaces it; a replay or an older one leaves it as it is).
 */
import { MinewatchError } from '../../core/errors.js'
import { supersedes, type ForwardedReport, type ForwardedReportStore } from '../state.js'
import { int, runPrepared, type Row, type StateDb } from './state-db.js'

const SELECT = 'SELECT site, "date", revision, "computedAt", "receivedAt", report FROM forwarded_reports WHERE site = $site AND "date" = $date'
const UPSERT = 'INSERT OR REPLACE INTO forwarded_reports (site, "date", revision, "computedAt", "receivedAt", report) ' +
  'VALUES ($site, $date, $revision::BIGINT, $computedAt::BIGINT, $receivedAt::BIGINT, $report)'

export function rowToForwardedReport (r: Row): ForwardedReport {
  return {
    site: r.site as string,
    date: r.date as string,
    revision: int(r.revision),
    computedAt: int(r.computedAt),
    receivedAt: int(r.receivedAt),
    report: JSON.parse(r.report as string) as Record<string, unknown>
  }
}

export function checkForwardedReport (r: ForwardedReport): void {
  const bad = (p: string): never => { throw new MinewatchError('MW_BAD_REQUEST', `forwarded report: ${p}`) }
  if (typeof r.site !== 'string' || r.site === '') bad('site must be a non-empty string')
  if (typeof r.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(r.date)) bad(`date must be YYYY-MM-DD, got ${String(r.date)}`)
  if (!Number.isSafeInteger(r.revision) || r.revision < 1) bad(`revision must be an integer ≥ 1, got ${String(r.revision)}`)
  for (const k of ['computedAt', 'receivedAt'] as const) if (!Number.isSafeInteger(r[k]) || r[k] < 0) bad(`${k} must be epoch ms, got ${String(r[k])}`)
  if (r.report === null || typeof r.report !== 'object' || Array.isArray(r.report)) bad('report must be an object')
}

export class DuckDBForwardedReportStore implements ForwardedReportStore {
  constructor (private readonly db: StateDb) {}

  async put (r: ForwardedReport): Promise<'stored' | 'replaced' | 'kept'> {
    checkForwardedReport(r)
    // read and write on the writer lane, in one transaction: two receipts of one site-day do not interleave
    return await this.db.tx(async (conn) => {
      const held = (await conn.runAndReadAll(SELECT, { site: r.site, date: r.date })).getRowObjectsJS()[0] as Row | undefined
      if (held !== undefined && !supersedes(r, { computedAt: int(held.computedAt), revision: int(held.revision) })) return 'kept'
      await runPrepared(conn, UPSERT, { site: r.site, date: r.date, revision: r.revision, computedAt: r.computedAt, receivedAt: r.receivedAt, report: JSON.stringify(r.report) })
      return held === undefined ? 'stored' : 'replaced'
    })
  }

  async get (site: string, date: string): Promise<ForwardedReport | undefined> {
    const [row] = await this.db.rows(SELECT, { site, date })
    return row === undefined ? undefined : rowToForwardedReport(row)
  }
}
