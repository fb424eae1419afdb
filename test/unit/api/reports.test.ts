/**
 * The daily report against test/fixtures/report: readings and alerts written into real
 * DuckDB stores, figures compared with the hand-computed expected.json.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readFileSync } from 'node:fs'
import { parseConfig } from '../../../core/config.js'
import type { Kind } from '../../../core/kinds.js'
import type { AlertKind } from '../../../core/alerts.js'
import { createHarness, bearer, type Harness } from './harness.js'

const DIR = 'test/fixtures/report'
const config = parseConfig(readFileSync(`${DIR}/config.yaml`, 'utf8'), `${DIR}/config.yaml`, {}).config
const data = JSON.parse(readFileSync(`${DIR}/readings.json`, 'utf8')) as {
  readings: { device: string, kind: Kind, at: string, values: Record<string, number | string> }[]
  alerts: { kind: AlertKind, at: string }[]
}
const expected = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')).report

const ADMIN = 'fixture-admin-token-01'
const OPERATOR = 'fixture-operator-token-01'
const OTHER = 'fixture-other-op-token-01'

/** Non-integer numbers compared to 9 decimals; everything else exactly. */
function approx (v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v : expect.closeTo(v, 9)
  if (Array.isArray(v)) return v.map(approx)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, approx(x)]))
  return v
}

let h: Harness
beforeAll(async () => {
  h = await createHarness({ config })
  h.clock.set(Date.parse('2025-03-02T10:00:00+08:00'))
  await h.telemetry.write(data.readings.map((r, i) => ({ site: 'fx-site', device: r.device, kind: r.kind, ts: Date.parse(r.at), seq: i, values: r.values })))
  for (const a of data.alerts) await h.alerts.fire('fx-site', a.kind, { at: Date.parse(a.at), subject: `${a.kind}-${a.at}` })
})
afterAll(async () => { await h.close() })

describe('GET /api/v1/reports/daily', () => {
  it('matches the hand-computed fixture: water, ore, fence, uptime (JSON)', async () => {
    const res = await h.app.inject({ url: '/api/v1/reports/daily?site=fx-site&date=2025-03-01', headers: bearer(OPERATOR) })
    expect(res.statusCode).toBe(200)
    const { dust, ...rest } = res.json()
    const { dust: _dust, ...expectedRest } = expected
    expect(rest).toEqual(approx(expectedRest))
    expect(dust).toHaveLength(2)
  })

  // Needs the store to honour SeriesQuery.flags (store/telemetry.ts): without it the D- and
  // M-flagged readings of the fixture count and tsp gives 5 minutes and a 3.0 hourly maximum.
  it('matches the hand-computed fixture: dust, counting only N and T readings', async () => {
    const res = await h.app.inject({ url: '/api/v1/reports/daily?site=fx-site&date=2025-03-01', headers: bearer(OPERATOR) })
    expect(res.json().dust).toEqual(approx(expected.dust))
  })

  it('defaults to yesterday (Beijing) and serves CSV on Accept: text/csv', async () => {
    const res = await h.app.inject({ url: '/api/v1/reports/daily?site=fx-site', headers: { ...bearer(ADMIN), accept: 'text/csv' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toBe('attachment; filename="minewatch-fx-site-2025-03-01.csv"')
    const lines = res.body.replace(/^\uFEFF/, '').trimEnd().split('\r\n')
    expect(lines[0]).toBe('site,date,section,item,device,value,limit,unit')
    expect(lines).toContain('fx-site,2025-03-01,dust,pm10_exceedance_minutes,,1,0.15,min')
    expect(lines).toContain('fx-site,2025-03-01,dust,pm10_max_hourly_avg,,,0.15,mg/m³') // no hour with 45 minutes of data
    expect(lines).toContain('fx-site,2025-03-01,dust,pm10_day_mean,FX-D1,,0.15,mg/m³')
    expect(lines).toContain('fx-site,2025-03-01,dust,pm10_day_exceedances,,0,0.15,monitors')
    expect(lines).toContain('fx-site,2025-03-01,water,rate_reuse,,0.862068965517,0.85,ratio')
    expect(lines).toContain('fx-site,2025-03-01,water,discharge,FX-W3,32,,m³')
    expect(lines).toContain('fx-site,2025-03-01,ore,output_truck_scale,,114,1000,t')
    expect(lines).toContain('fx-site,2025-03-01,fence,boundary_breaches,,2,,alerts')
    expect(lines).toContain('fx-site,2025-03-01,uptime,status,FX-S1,0.75,,ratio')
    expect(res.body.startsWith('\uFEFF')).toBe(true)
  })

  it('JSON stays the default when Accept prefers it', async () => {
    const res = await h.app.inject({ url: '/api/v1/reports/daily?site=fx-site&date=2025-03-01', headers: { ...bearer(ADMIN), accept: 'application/json, text/csv;q=0.5' } })
    expect(res.headers['content-type']).toMatch(/^application\/json/)
  })

  it('covers the day so far when it is not over (partial)', async () => {
    const res = await h.app.inject({ url: '/api/v1/reports/daily?site=fx-site&date=2025-03-02', headers: bearer(ADMIN) })
    const r = res.json()
    expect(r).toMatchObject({ date: '2025-03-02', partial: true, from: Date.parse('2025-03-02T00:00:00+08:00'), to: h.clock.now() })
    // 10 h elapsed: 600 one-minute intervals; FX-D1 has one reading (00:00, tsp 9.9, above the limit)
    expect(r.uptime[0]).toMatchObject({ device: 'FX-D1', expected: 600, withData: 1 })
    expect(r.dust[0]).toMatchObject({ exceedanceMinutes: 1, maxHourlyAvg: null }) // one minute is no valid hourly mean
    // W3 went 22 → 500 since the last value of the previous day
    expect(r.water.dischargeM3).toBe(478)
    expect(r.fence).toEqual({ boundaryBreaches: 0, zoneIntrusions: 1 })
  })

  it.each([
    ['site=fx-site&date=2025-3-1', 'querystring.date: must be YYYY-MM-DD'],
    ['site=fx-site&date=2025-02-30', "date: '2025-02-30' is not a calendar day"],
    ['site=fx-site&date=2025-03-03', 'date: 2025-03-03 has not started yet'],
    ['date=2025-03-01', 'querystring.site']
  ])('400 for %s', async (q, message) => {
    const res = await h.app.inject({ url: `/api/v1/reports/daily?${q}`, headers: bearer(ADMIN) })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toContain(message)
  })

  it('403 for an operator of another site, 404 for an unknown site (admin)', async () => {
    const other = await h.app.inject({ url: '/api/v1/reports/daily?site=fx-site&date=2025-03-01', headers: bearer(OTHER) })
    expect(other.statusCode).toBe(403)
    const csv = await h.app.inject({ url: '/api/v1/reports/daily?site=fx-site&date=2025-03-01', headers: { ...bearer(OTHER), accept: 'text/csv' } })
    expect(csv.statusCode).toBe(403)
    expect(csv.body).not.toContain('fx-site,2025')
    const unknown = await h.app.inject({ url: '/api/v1/reports/daily?site=nowhere&date=2025-03-01', headers: bearer(ADMIN) })
    expect(unknown.statusCode).toBe(404)
  })
})
