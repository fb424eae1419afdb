/** Who is calling: the API token's name, role and the sites it may see. */
import { coversSite, type Registry } from '../../core/registry.js'

export const ROLES = ['regulator', 'operator', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface Principal {
  /** Token name from config.api.tokens (recorded as `by` when acknowledging). */
  name: string
  role: Role
  /** '*' or the site ids this token may see (an operator has exactly one). */
  sites: '*' | readonly string[]
}

/** True when the principal may see `site` (admins see every site). */
export function canSeeSite (p: Principal, site: string): boolean {
  return p.role === 'admin' || coversSite(p.sites, site)
}

/** Site ids of the registry the principal may see, in registry order. */
export function visibleSiteIds (p: Principal, registry: Registry): string[] {
  return registry.sites.map((s) => s.id).filter((id) => canSeeSite(p, id))
}

/** The principal's sites as a list, or undefined when it sees every site. */
export function siteFilter (p: Principal): readonly string[] | undefined {
  return p.role === 'admin' || p.sites === '*' ? undefined : p.sites
}
