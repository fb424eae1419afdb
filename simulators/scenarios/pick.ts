/** Choosing a scenario's target among the simulated sites, with clear errors when none fits. */
import { MinewatchError } from '../../core/errors.js'
import type { Device, Site } from '../../core/sites.js'

/** The first site that `fits`, or MW_BAD_REQUEST explaining what the scenario needs. */
export function pickSite (sites: readonly Site[], scenario: string, needs: string, fits: (s: Site) => boolean): Site {
  const site = sites.find(fits)
  if (!site) throw new MinewatchError('MW_BAD_REQUEST', `scenario ${scenario} needs a site with ${needs}; none among ${sites.map((s) => s.id).join(', ')}`)
  return site
}

export function devicesOf (site: Site, kind: Device['kind'], role?: string): Device[] {
  return site.devices.filter((d) => d.kind === kind && (role === undefined || d.role === role))
}
