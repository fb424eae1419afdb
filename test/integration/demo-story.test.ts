/**
 * The demo's story through `minewatch up --simulate` (what `npm run demo` runs), in real time as
 * the story is (its incidents are timed from the start on the wall clock): within five minutes
 * the first site raises and then resolves a dust exceedance (a crusher burst over its 2-minute
 * operational limit), a boundary breach (DEMO-01 walks out and back) and a device offline (a
 * vehicle tracker falls silent and comes back). Each incident is followed by its transitions;
 * the test ends as soon as all three have resolved.
 */
import { describe, it, expect } from 'vitest'
import { startTestMinewatch, api } from '../helpers/minewatch.js'
import { demoIncidents } from '../../simulators/demo-story.js'
import type { AlertTransition } from '../../core/alerts.js'

const FIVE_MIN = 300_000

describe('the demo story through minewatch up --simulate', () => {
  it('raises and resolves a dust exceedance, a boundary breach and a device offline within five minutes', async () => {
    const t0 = Date.now()
    const mw = await startTestMinewatch({ simulate: true })
    const site = mw.registry.sites[0]!
    const plan = demoIncidents(site)
    const expected = new Map([
      [`dust_exceedance ${plan.dust!.device}:${plan.dust!.limit.metric}:${plan.dust!.limit.windowS}`, 'dust'],
      [`boundary_breach ${plan.breach!.entityId}`, 'breach'],
      [`device_offline ${plan.offline!.device}`, 'offline']
    ])
    const story = new Map<string, { firedAt?: number, resolvedAt?: number }>()
    const subjects = new Map<string, Promise<string>>()
    const others = new Set<string>() // every alert of the site seen, for the message when the story falls short
    const subjectOf = (id: string): Promise<string> => {
      if (!subjects.has(id)) {
        subjects.set(id, api(mw, `/api/v1/alerts/${id}`).then(async (r) => {
          if (r.status !== 200) throw new Error(`GET /api/v1/alerts/${id}: ${r.status}`)
          const { alert } = await r.json() as { alert: { kind: string, subject: string } }
          others.add(`${alert.kind} ${alert.subject}`)
          return `${alert.kind} ${alert.subject}`
        }))
      }
      return subjects.get(id)!
    }
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { off(); reject(new Error(`after 5 min: ${JSON.stringify(Object.fromEntries(story))}; alerts seen: ${[...others].join(', ')}`)) }, FIVE_MIN - (Date.now() - t0))
        const off = mw.alerts.onTransition((t: AlertTransition) => {
          if (t.site !== site.id || (t.to !== 'firing' && t.to !== 'resolved')) return
          subjectOf(t.alertId).then((key) => {
            const name = expected.get(key)
            if (!name) return
            const s = story.get(name) ?? {}
            if (t.to === 'firing') s.firedAt ??= t.at
            else s.resolvedAt = t.at
            story.set(name, s)
            if (story.size === expected.size && [...story.values()].every((x) => x.firedAt !== undefined && x.resolvedAt !== undefined)) { clearTimeout(timer); off(); resolve() }
          }).catch((err: unknown) => { clearTimeout(timer); off(); reject(err as Error) })
        })
      })
      for (const [name, s] of story) {
        expect(s.firedAt!, name).toBeLessThan(s.resolvedAt!)
        expect(s.resolvedAt! - t0, `${name} resolved (event time) within 5 min of the start`).toBeLessThan(FIVE_MIN)
      }
      // the API shows them resolved, the dust one against the operational limit it exceeded
      const res = await api(mw, `/api/v1/alerts?site=${site.id}&state=resolved&limit=200`)
      const items = ((await res.json()) as { items: { kind: string, subject: string, limit: number | null, standard: string }[] }).items
      const dust = items.find((a) => a.kind === 'dust_exceedance' && a.subject === `${plan.dust!.device}:tsp:${plan.dust!.limit.windowS}`)
      expect(dust).toMatchObject({ limit: plan.dust!.limit.limit, standard: '本矿运营限值' })
      for (const k of ['boundary_breach', 'device_offline']) expect(items.some((a) => a.kind === k)).toBe(true)
    } finally {
      await mw.cleanup()
    }
  }, FIVE_MIN + 60_000)
})
