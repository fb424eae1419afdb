import { DAY, HOUR, MINUTE, beijingDate, beijingDayStart } from '../../core/time.js'
import type { Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

/** How much more diesel the haul trucks burn (idling at the face, a fuel leak). */
export const HAULAGE_FACTOR = 3
/** The run starts this long before a Beijing midnight and ends this long after it. */
const BEFORE_MIDNIGHT_MS = 3 * HOUR
const AFTER_MIDNIGHT_MS = HOUR

/**
 * The haul trucks of a site with an energy intensity limit burn three times their diesel from the
 * start of the run to the Beijing midnight three hours later (the demo quarry: about 1.9 kgce per
 * tonne of ore against its 1.2), then their usual amount. The day before midnight is judged once it
 * is over and every energy meter has sent its last hour: exactly one energy_intensity_high
 * (`intensity:{date}`, the site's energy.severity); the hour after midnight belongs to a day not
 * yet over, so it is not judged.
 */
export const energyIntensity: Scenario = {
  name: 'energy-intensity',
  description: 'Three hours before a Beijing midnight to one hour after: the haul trucks burn 3× their diesel until midnight. Exactly one energy_intensity_high for the day before midnight, judged after it.',
  durationMs: BEFORE_MIDNIGHT_MS + AFTER_MIDNIGHT_MS,
  defaultStart: (now, durationMs) => {
    // the latest midnight with three hours before it and the run ending by now
    let midnight = beijingDayStart(now)
    if (midnight - BEFORE_MIDNIGHT_MS + durationMs > now) midnight -= DAY
    return midnight - BEFORE_MIDNIGHT_MS
  },
  plan: ({ sites, start, durationMs }) => {
    const site = pickSite(sites, 'energy-intensity', 'energy.intensityLimitKgcePerT and a haulage energy meter',
      (s) => s.energy.intensityLimitKgcePerT !== undefined && devicesOf(s, 'energy', 'haulage').length > 0)
    const midnight = beijingDayStart(start) + DAY
    if (midnight - start < 2 * HOUR || start + durationMs < midnight + 10 * MINUTE) {
      throw new Error('energy-intensity: the run must start at least 2 h before a Beijing midnight and end at least 10 min after it')
    }
    const date = beijingDate(midnight - DAY)
    return {
      effects: [{ type: 'energy', site: site.id, role: 'haulage', fromMs: start, toMs: midnight, factor: HAULAGE_FACTOR }],
      inject: [],
      expectedAlerts: [{ kind: 'energy_intensity_high', site: site.id, subject: `intensity:${date}`, severity: site.energy.severity }],
      expectedRejects: {},
      summary: `${site.id}: haulage diesel × ${HAULAGE_FACTOR} until ${date} 24:00 (limit ${site.energy.intensityLimitKgcePerT} kgce/t)`
    }
  }
}
