/**
 * Who may publish and subscribe to what: pure functions of (principal, topic), tested
 * from fixture tables (test/unit/broker/acl.test.ts). Everything not allowed here is denied.
 */
import { ALERTS_PREFIX, TELEMETRY_PREFIX, parseTelemetryTopic, parseUplinkTopic, uplinkTopic } from '../core/topics.js'
import type { Kind } from '../core/kinds.js'

/** A device: may publish only its own telemetry topic, may read only its own site. */
export interface DevicePrincipal {
  type: 'device'
  username: string
  site: string
  kind: Kind
}

/** A service or regulator account (config.accounts): reads mines/ and alerts/ of its sites, never publishes. */
export interface AccountPrincipal {
  type: 'account'
  username: string
  role: 'service' | 'regulator'
  sites: '*' | readonly string[]
}

/** A site's minewatch forwarding upstream (accounts role site-uplink): publishes only uplink/{its site}/up, reads only uplink/{its site}/down. */
export interface UplinkPrincipal {
  type: 'uplink'
  username: string
  site: string
}

export type Principal = DevicePrincipal | AccountPrincipal | UplinkPrincipal

export type PublishDecision =
  | { ok: true }
  | { ok: false, reason: 'topic_mismatch' | 'bad_topic' | 'not_allowed' }

const READABLE_PREFIXES = new Set([TELEMETRY_PREFIX, ALERTS_PREFIX])
const OK: PublishDecision = { ok: true }

/**
 * May `p` publish to `topic`? A device only to mines/{its site}/{its kind}/{its id};
 * another well-formed telemetry topic is `topic_mismatch`, anything else `bad_topic`.
 * A site-uplink account only to uplink/{its site}/up (another uplink topic: `topic_mismatch`).
 * Other accounts never publish (`not_allowed`).
 */
export function canPublish (p: Principal, topic: string): PublishDecision {
  if (p.type === 'uplink') {
    // a site account publishes its own site's batches only: another site's uplink topic is a mismatch
    const u = parseUplinkTopic(topic)
    if (u === null) return { ok: false, reason: 'bad_topic' }
    return u.site === p.site && u.direction === 'up' ? OK : { ok: false, reason: 'topic_mismatch' }
  }
  if (p.type !== 'device') return { ok: false, reason: 'not_allowed' }
  const t = parseTelemetryTopic(topic)
  if ('error' in t) return { ok: false, reason: 'bad_topic' }
  if (t.device !== p.username || t.site !== p.site || t.kind !== p.kind) return { ok: false, reason: 'topic_mismatch' }
  return OK
}

/** True for a level that is exactly a wildcard; a level that merely contains + or # is malformed. */
function isWildcard (level: string): boolean {
  return level === '+' || level === '#'
}

/** [MQTT-4.7.1-2], [MQTT-4.7.1-3]: '#' only as the whole last level, '+' only as a whole level. */
function wellFormedFilter (levels: readonly string[]): boolean {
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!
    if (l === '#' && i !== levels.length - 1) return false
    if (!isWildcard(l) && (l.includes('+') || l.includes('#'))) return false
  }
  return true
}

/**
 * May `p` subscribe to the topic filter `filter`?
 * - `$…` topics ($SYS): nobody [MQTT-4.7.2-1].
 * - device: `mines/{its site}/…` or `alerts/{its site}/…` (site level literal, rest may be wildcards).
 * - account with a site list: `mines|alerts/{a granted site}/…`, prefix and site literal.
 * - account granted '*': additionally a wildcard prefix or site (`mines/#`, `+/…`, `#`).
 */
export function canSubscribe (p: Principal, filter: string): boolean {
  if (filter.length === 0 || filter.startsWith('$')) return false
  const levels = filter.split('/')
  if (!wellFormedFilter(levels)) return false
  if (p.type === 'uplink') return filter === uplinkTopic(p.site, 'down') // no wildcards, no telemetry
  const prefix = levels[0]!
  const site = levels[1]
  if (p.type === 'account' && p.sites === '*') {
    if (prefix === '#') return true
    if (!READABLE_PREFIXES.has(prefix) && prefix !== '+') return false
    return site !== undefined || prefix !== '+' // a lone '+' matches one-level topics only: nothing of ours
  }
  if (!READABLE_PREFIXES.has(prefix) || site === undefined || isWildcard(site)) return false
  if (p.type === 'device') return site === p.site
  return p.sites.includes(site)
}

/**
 * May `p` receive a message published on `topic`? Checked again at delivery so that a
 * persistent session or queued message never reaches a principal its ACL no longer covers.
 */
export function canReceive (p: Principal, topic: string): boolean {
  if (topic.startsWith('$')) return false
  if (p.type === 'uplink') return topic === uplinkTopic(p.site, 'down')
  const slash = topic.indexOf('/')
  if (slash < 0) return false
  const prefix = topic.slice(0, slash)
  if (!READABLE_PREFIXES.has(prefix)) return p.type === 'account' && p.sites === '*'
  if (p.type === 'account' && p.sites === '*') return true
  const end = topic.indexOf('/', slash + 1)
  const site = topic.slice(slash + 1, end < 0 ? undefined : end)
  return p.type === 'device' ? site === p.site : p.sites.includes(site)
}
