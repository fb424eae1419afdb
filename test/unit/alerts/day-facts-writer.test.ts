/**
 * DayFactsWriter computes a marked site-day with the site's config as it is when the day is
 * computed, not as it was when the day was marked: a device replaced in between (a replacement
 * chain counted as one position) must count for the day, and a site removed since is skipped.
 */
import { describe, it, expect, vi } from 'vitest'
import type { Site } from '../../../core/sites.js'
import { silentLogger } from '../../../core/log.js'

const computed: Array<{ site: Site, day: number }> = []
vi.mock('../../../store/day-facts.js', () => ({
  computeDayFacts: async (_t: unknown, site: Site, day: number) => { computed.push({ site, day }); return { site: site.id, day } }
}))
const { DayFactsWriter } = await import('../../../alerts/day-facts.js')

describe('DayFactsWriter', () => {
  it('looks the site up when it computes the day, so a change after the mark counts', async () => {
    const before = { id: 's1', devices: [{ id: 'OLD' }] } as unknown as Site
    const after = { id: 's1', devices: [{ id: 'OLD' }, { id: 'OLD2', replaces: 'OLD' }] } as unknown as Site
    let current: Site | undefined = before
    const written: unknown[][] = []
    const w = new DayFactsWriter((id) => (id === 's1' ? current : undefined), { series: async () => [], writeDayFacts: async (f: unknown[]) => { written.push(f) } } as never, silentLogger(), 1000)
    w.mark('s1', 0)
    current = after // e.g. POST /api/v1/ops/devices/OLD/replace before the refresh is due
    w.mark('s1', 0) // data of the replacement for the same day: already marked
    await w.refresh(5000)
    expect(computed.map((c) => c.site)).toEqual([after])
    expect(written).toEqual([[{ site: 's1', day: 0 }]])

    w.mark('s1', 86_400_000)
    current = undefined // the site left the config
    await w.refresh(10_000)
    expect(computed).toHaveLength(1)
    expect(w.pendingDays).toBe(0)
  })

  it('ignores marks for a site it does not know', () => {
    const w = new DayFactsWriter(() => undefined, { series: async () => [], writeDayFacts: async () => undefined } as never, silentLogger())
    w.mark('nowhere', 0)
    expect(w.pendingDays).toBe(0)
  })
})
