/**
 * GET /reports/daily?site=&date=: the daily regulatory report of one site, as JSON or CSV (Accept: text/csv);
 * for a site that uplinks here, the report the site forwarded for that day (source=computed: this minewatch's own).
 * GET /reports/day-facts?site=&from=&to=: the stored day facts (the figures the dashboards show) of a range of days.
 * GET /sites/{site}/reports/monthly?month=: the month of one site, each figure the sum of its daily reports.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { MinewatchError } from '../../core/errors.js'
import { DAY, beijingDate, beijingDateToMs, beijingDayStart } from '../../core/time.js'
import { errorBodySchema } from '../errors.js'
import { idParam } from '../params.js'
import { pathSite, principalOf, querySite } from '../auth/access.js'
import { dailyReportSchema, dayFactsListSchema, monthlyReportSchema, type DailyReport } from '../reports/schema.js'
import { computeMonthlyReport } from '../reports/monthly.js'
import { computeDailyReport } from '../reports/daily.js'
import { fetchDailyInput } from '../reports/fetch.js'
import { dailyReportCsv } from '../reports/csv.js'

export default async function reportsRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/reports/daily', {
    schema: {
      tags: ['reports'],
      summary: 'Daily report of one site for one Beijing calendar day (JSON, or CSV with Accept: text/csv)',
      querystring: z.object({
        site: idParam,
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').optional().describe('Beijing calendar day; default: yesterday'),
        source: z.enum(['auto', 'site', 'computed']).default('auto')
          .describe('auto: the report the site forwarded (uplink) when there is one, else computed here; site: only the forwarded one (404 without); computed: always computed here from the stored readings')
      }),
      produces: ['application/json', 'text/csv'],
      response: { 200: dailyReportResponseSchema, 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req, reply) => {
    const site = querySite(deps.registry, principalOf(req), req.query.site)
    const now = deps.clock.now()
    const date = req.query.date ?? beijingDate(beijingDayStart(now) - DAY)
    const dayStart = beijingDateToMs(date)
    if (Number.isNaN(dayStart)) throw new MinewatchError('MW_BAD_REQUEST', `date: '${date}' is not a calendar day`)
    if (dayStart > now) throw new MinewatchError('MW_BAD_REQUEST', `date: ${date} has not started yet (Beijing time)`)
    const held = req.query.source === 'computed' ? undefined : await deps.forwardedReports?.get(site.id, date)
    if (held === undefined && req.query.source === 'site') throw new MinewatchError('MW_NOT_FOUND', `site ${site.id} forwarded no daily report for ${date}`)
    const report = held !== undefined
      ? { ...(held.report as DailyReport), forwarded: { revision: held.revision, computedAt: held.computedAt, receivedAt: held.receivedAt } }
      : computeDailyReport(await fetchDailyInput(deps, site, date, dayStart, now))
    if (wantsCsv(req.headers.accept)) {
      return (reply as FastifyReply) // untyped: the 200 schema describes the JSON form
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="minewatch-${site.id}-${date}.csv"`)
        .serializer((s) => s as string)
        .send(dailyReportCsv(report))
    }
    return report
  })

  app.get('/sites/:site/reports/monthly', {
    schema: {
      tags: ['reports'],
      summary: 'Monthly report of one site: each figure the sum of the Beijing days\' daily reports (up to now for the current month)',
      params: z.object({ site: idParam }),
      querystring: z.object({ month: z.string().regex(/^\d{4}-\d{2}$/, 'must be YYYY-MM').describe('Beijing calendar month') }),
      response: { 200: monthlyReportSchema, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req) => {
    const site = pathSite(deps.registry, principalOf(req), req.params.site)
    const now = deps.clock.now()
    const start = beijingDateToMs(`${req.query.month}-01`)
    if (Number.isNaN(start)) throw new MinewatchError('MW_BAD_REQUEST', `month: '${req.query.month}' is not a calendar month`)
    if (start > now) throw new MinewatchError('MW_BAD_REQUEST', `month: ${req.query.month} has not started yet (Beijing time)`)
    const days: DailyReport[] = []
    // one day after the other: each daily report queries every kind of the site
    for (let day = start; day <= now && beijingDate(day).startsWith(req.query.month); day += DAY) {
      days.push(computeDailyReport(await fetchDailyInput(deps, site, beijingDate(day), day, now)))
    }
    return computeMonthlyReport(site, req.query.month, days)
  })

  app.get('/reports/day-facts', {
    schema: {
      tags: ['reports'],
      summary: 'Stored day facts of one site (recycling rate and volumes, ore output, daily-mean exceedances per Beijing day), as the dashboards show them',
      querystring: z.object({
        site: idParam,
        from: dateParam.describe('first Beijing calendar day'),
        to: dateParam.describe('last Beijing calendar day (inclusive); at most 366 days after from')
      }),
      response: { 200: dayFactsListSchema, 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req) => {
    const site = querySite(deps.registry, principalOf(req), req.query.site)
    const from = beijingDateToMs(req.query.from)
    const to = beijingDateToMs(req.query.to)
    if (Number.isNaN(from)) throw new MinewatchError('MW_BAD_REQUEST', `from: '${req.query.from}' is not a calendar day`)
    if (Number.isNaN(to)) throw new MinewatchError('MW_BAD_REQUEST', `to: '${req.query.to}' is not a calendar day`)
    if (to < from) throw new MinewatchError('MW_BAD_REQUEST', `to: ${req.query.to} is before from: ${req.query.from}`)
    if (to - from > (MAX_FACT_DAYS - 1) * DAY) throw new MinewatchError('MW_BAD_REQUEST', `from..to spans more than ${MAX_FACT_DAYS} days`)
    const facts = await deps.telemetry.dayFacts({ site: site.id, from, to: to + DAY })
    return { site: site.id, items: facts.map(({ site: _site, ...f }) => ({ date: beijingDate(f.day), ...f })) }
  })
}

/** The daily report, saying whether it is the one a site forwarded (uplink/reports.ts) or computed here. */
const dailyReportResponseSchema = dailyReportSchema.extend({
  forwarded: z.object({
    revision: z.number().int().describe('1 when the day was first reported, +1 each time late data changed it at the site'),
    computedAt: z.number().describe('when the site computed it, epoch ms (site clock)'),
    receivedAt: z.number().describe('when this minewatch received this revision, epoch ms')
  }).optional().describe('present when this is the report the site forwarded over the uplink; absent: computed by this minewatch')
}).meta({ id: 'DailyReportResponse' })

/** Days one day-facts request may span. */
const MAX_FACT_DAYS = 366

const dateParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')

/** True when the Accept header prefers text/csv to JSON (RFC 9110 §12.5.1, q-values honoured). */
export function wantsCsv (accept: string | undefined): boolean {
  if (!accept) return false
  let csv = 0; let json = 0
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';')
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const q = qParam ? Number(qParam.slice(2)) : 1
    if (type === 'text/csv') csv = Math.max(csv, q)
    else if (type === 'application/json' || type === '*/*' || type === 'application/*') json = Math.max(json, type === 'application/json' ? q : q * 0.999)
  }
  return csv > 0 && csv >= json
}
