/** Which subscriptions (config.alerts.subscriptions) receive a transition. */
import type { Config } from '../../core/config.js'
import { coversSite } from '../../core/registry.js'
import type { Severity } from '../../core/sites.js'

export type Subscription = Config['alerts']['subscriptions'][number]

const RANK: Record<Severity, number> = { warning: 1, alarm: 2 }

/** True when `sub` wants alerts of this site, kind and severity. */
export function matches (sub: Subscription, site: string, kind: string, severity: Severity): boolean {
  if (!coversSite(sub.sites, site)) return false
  if (sub.kinds !== '*' && !sub.kinds.includes(kind)) return false
  return RANK[severity] >= RANK[sub.minSeverity]
}
