/**
 * ForwardedReportStore on PostgreSQL: one row per site-day, replaced only by a report that
 * supersedes it (store/state.ts supersedes), decided in the upsert itself so processes sharing the
 * database agree.
 */
import { supersedes, type ForwardedReport, type ForwardedReportStore } from '../state.js'
import { checkForwardedReport, rowToForwardedReport } from '../duckdb/forwarded-reports.js'
import { checkText, type PgDb } from './db.js'

export class PgForwardedReportStore implements ForwardedReportStore {
  constructor (private readonly db: PgDb) {}

  async put (r: ForwardedReport): Promise<'stored' | 'replaced' | 'kept'> {
    checkForwardedReport(r)
    checkText('forwarded report site', r.site)
    const report = JSON.stringify(r.report) // JSON escapes NUL
    return await this.db.tx(async (c) => {
      // the row locked (FOR UPDATE) while it is compared: two receipts of one site-day do not interleave
      const held = (await c.query('SELECT revision, "computedAt" FROM forwarded_reports WHERE site = $1 AND "date" = $2 FOR UPDATE', [r.site, r.date])).rows[0] as { revision: string, computedAt: string } | undefined
      if (held !== undefined && !supersedes(r, { computedAt: Number(held.computedAt), revision: Number(held.revision) })) return 'kept'
      const w = await c.query(
        'INSERT INTO forwarded_reports (site, "date", revision, "computedAt", "receivedAt", report) VALUES ($1, $2, $3, $4, $5, $6) ' +
        'ON CONFLICT (site, "date") DO UPDATE SET revision = EXCLUDED.revision, "computedAt" = EXCLUDED."computedAt", "receivedAt" = EXCLUDED."receivedAt", report = EXCLUDED.report' +
        // two first receipts racing (no row to lock yet): the later computation wins here too
        ' WHERE EXCLUDED."computedAt" > forwarded_reports."computedAt" OR (EXCLUDED."computedAt" = forwarded_reports."computedAt" AND EXCLUDED.revision > forwarded_reports.revision)',
        [r.site, r.date, r.revision, r.computedAt, r.receivedAt, report]
      )
      if (w.rowCount === 0) return 'kept'
      return held === undefined ? 'stored' : 'replaced'
    }, 'forwarded report not stored')
  }

  async get (site: string, date: string): Promise<ForwardedReport | undefined> {
    const [row] = await this.db.rows('SELECT site, "date", revision, "computedAt", "receivedAt", report FROM forwarded_reports WHERE site = $1 AND "date" = $2', [site, date])
    return row === undefined ? undefined : rowToForwardedReport(row)
  }
}
