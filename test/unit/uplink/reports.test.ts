/**
 * uplink/reports.ts with a manual clock: a day is reported graceS after it ends, again only when
 * late data changed its figures (next revision), days that ended while the process was down are
 * caught up, late data marked before a SIGKILL is not forgotten, and a failed computation is retried.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { ManualClock } from '../../../core/clock.js'
import { silentLogger } from '../../../core/log.js'
import { beijingDateToMs, DAY, MINUTE, SECOND } from '../../../core/time.js'
import type { Reading } from '../../../core/readings.js'
import { ReportForwarding } from '../../../uplink/reports.js'
import type { ForwardedDailyReport } from '../../../uplink/items.js'
import { tempDir } from '../../helpers/ports.js'

const D1 = beijingDateToMs('2026-11-30')
const GRACE = 10 * MINUTE
const REFRESH = 30 * SECOND

describe('daily reports forwarded upstream (site side)', () => {
  const dirs: Array<{ remove(): void }> = []
  afterEach(() => { for (const d of dirs.splice(0)) d.remove() })

  function setup (start: number, dir = tempDir('minewatch-uplink-reports-')) {
    dirs.push(dir)
    const clock = new ManualClock(start)
    /** the "store": a figure per site-day, changed by the test like late data would */
    const figures = new Map<string, number>()
    const sent: ForwardedDailyReport[] = []
    let failCompute = false
    const rf = new ReportForwarding({
      sites: ['s1'],
      graceMs: GRACE,
      refreshMs: REFRESH,
      maxLateMs: 7 * DAY,
      compute: async (site, date) => {
        if (failCompute) throw new Error('store unavailable')
        return site === 's1' ? { site, date, exceedanceMinutes: figures.get(date) ?? 0 } : undefined
      },
      offer: async (r) => { sent.push(r) },
      stateFile: join(dir.path, 'reports.json'),
      clock,
      logger: silentLogger()
    })
    return { rf, clock, figures, sent, dir, failing: (v: boolean) => { failCompute = v } }
  }
  const reading = (ts: number): Reading => ({ site: 's1', device: 'D1', kind: 'dust', ts, values: { tsp: 1 } })

  it('reports a day graceS after it ends, once; late data that changes it sends the next revision, other late data nothing', async () => {
    const { rf, clock, figures, sent } = setup(D1 + 12 * 60 * MINUTE)
    figures.set('2026-11-30', 3)
    await rf.runDue()
    expect(sent).toEqual([]) // the day is not over
    clock.set(D1 + DAY + GRACE - 1)
    await rf.runDue()
    expect(sent).toEqual([])
    clock.set(D1 + DAY + GRACE)
    await rf.runDue()
    expect(sent).toEqual([{ site: 's1', date: '2026-11-30', revision: 1, computedAt: D1 + DAY + GRACE, report: { site: 's1', date: '2026-11-30', exceedanceMinutes: 3 } }])
    await rf.runDue()
    expect(sent).toHaveLength(1)

    // late data that changes no figure: computed again after refreshS, nothing sent
    rf.readingsStored([reading(D1 + HOUR_MS)])
    clock.advance(REFRESH - 1)
    await rf.runDue()
    clock.advance(1)
    await rf.runDue()
    expect(sent).toHaveLength(1)
    // late data that changes it: revision 2 with the new figure
    figures.set('2026-11-30', 5)
    rf.readingsStored([reading(D1 + 2 * HOUR_MS), reading(D1 + 3 * HOUR_MS)])
    clock.advance(REFRESH)
    await rf.runDue()
    expect(sent.map((r) => [r.date, r.revision, r.report.exceedanceMinutes])).toEqual([['2026-11-30', 1, 3], ['2026-11-30', 2, 5]])
    // readings of today or of another site mark nothing
    rf.readingsStored([reading(clock.now()), { ...reading(D1), site: 's2' }])
    clock.advance(REFRESH)
    await rf.runDue()
    expect(sent).toHaveLength(2)
    await rf.close()
  })

  it('the first start does not report the past; a restart catches up the days that ended while it was down and keeps marked late data', async () => {
    const dir = tempDir('minewatch-uplink-reports-')
    const first = setup(D1 + HOUR_MS, dir)
    await first.rf.runDue()
    expect(first.sent).toEqual([]) // 2026-11-29 and before: not reported
    first.rf.readingsStored([reading(D1 - DAY + HOUR_MS)]) // late data for 11-29 (before the first start): reported
    await first.rf.close() // stopped (or killed: the mark is already in the file) before refreshS
    expect(JSON.parse(readFileSync(join(dir.path, 'reports.json'), 'utf8')).pending).toEqual({ [`s1\u0000${D1 - DAY}`]: D1 + HOUR_MS + REFRESH })

    // down for three days
    const again = setup(D1 + 3 * DAY + HOUR_MS, dir)
    dirs.pop() // one directory for both
    await again.rf.runDue()
    expect(again.sent.map((r) => [r.date, r.revision])).toEqual([['2026-11-29', 1], ['2026-11-30', 1], ['2026-12-01', 1], ['2026-12-02', 1]])
    await again.rf.close()
  })

  it('a computation that fails is tried again refreshS later', async () => {
    const { rf, clock, sent, failing } = setup(D1 + HOUR_MS)
    failing(true)
    clock.set(D1 + DAY + GRACE)
    await rf.runDue()
    expect(sent).toEqual([]) // 11-30 is due now, but the store fails
    failing(false)
    await rf.runDue()
    expect(sent).toEqual([]) // not before refreshS
    clock.advance(REFRESH)
    await rf.runDue()
    expect(sent.map((r) => [r.date, r.revision])).toEqual([['2026-11-30', 1]])
    await rf.close()
  })
})

const HOUR_MS = 60 * MINUTE
