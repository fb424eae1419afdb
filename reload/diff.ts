/**
 * What a config reload changes: a structured diff of two validated configs. Pure (tested from
 * fixture tables in test/unit/reload/diff.test.ts). Never holds a secret: a changed password or
 * hash is named (`secretHash`), its value is not.
 *
 * The registry (sites, their devices and limits), MQTT accounts and API tokens apply live; every
 * other setting is read at start only and is listed in `needsRestart` when it changed.
 */
import type { Config } from '../core/config.js'
import type { Device, DustLimit, Site } from '../core/sites.js'

export interface Changed { id: string, fields: string[] }

export interface LimitChange {
  site: string
  /**
   * The limit's identity: `metric:windowS` (its alerts' subject ends with it), then `[roles]` or
   * `[standard]` when it has them (a site may set a legal and an operational limit of the same window).
   */
  limit: string
  change: 'added' | 'removed' | 'changed'
  /** The fields that differ, for `changed`. */
  fields?: string[]
}

export interface IdChanges { added: string[], removed: string[], changed: Changed[] }

export interface ConfigDiff {
  sites: IdChanges
  devices: IdChanges & { disabled: string[], enabled: string[] }
  limits: LimitChange[]
  accounts: IdChanges
  tokens: IdChanges
  /** Config paths that changed but are read at start only (listen addresses, store, ingest, alert settings...). */
  needsRestart: string[]
}

/** Sections (or keys of a section) applied live; everything else needs a restart. */
const LIVE_TOP = new Set(['sites', 'accounts'])
const LIVE_API = new Set(['tokens'])

function same (a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Keys of two objects whose values differ (union of both key sets). */
function changedKeys (a: object, b: object): string[] {
  const ra = a as Record<string, unknown>
  const rb = b as Record<string, unknown>
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])]
  return keys.filter((k) => !same(ra[k], rb[k])).sort()
}

function byId<T> (items: readonly T[], id: (t: T) => string): Map<string, T> {
  return new Map(items.map((t) => [id(t), t]))
}

function idChanges<T extends object> (before: readonly T[], after: readonly T[], id: (t: T) => string, ignore: readonly string[] = []): IdChanges {
  const a = byId(before, id)
  const b = byId(after, id)
  const out: IdChanges = { added: [], removed: [], changed: [] }
  for (const k of b.keys()) if (!a.has(k)) out.added.push(k)
  for (const k of a.keys()) if (!b.has(k)) out.removed.push(k)
  for (const [k, x] of a) {
    const y = b.get(k)
    if (!y) continue
    const fields = changedKeys(x, y).filter((f) => !ignore.includes(f))
    if (fields.length > 0) out.changed.push({ id: k, fields })
  }
  return out
}

const limitKey = (l: DustLimit): string => `${l.metric}:${l.windowS}${l.roles ? `[${l.roles.join(',')}]` : l.standard ? `[${l.standard}]` : ''}`

function limitChanges (before: Site, after: Site): LimitChange[] {
  const c = idChanges(before.dust.limits, after.dust.limits, limitKey)
  return [
    ...c.added.map((limit) => ({ site: after.id, limit, change: 'added' as const })),
    ...c.removed.map((limit) => ({ site: after.id, limit, change: 'removed' as const })),
    ...c.changed.map((x) => ({ site: after.id, limit: x.id, change: 'changed' as const, fields: x.fields }))
  ]
}

/** `path` of every leaf-ish setting that differs, one level below each section (`broker.host`, `store.kind`). */
function restartPaths (before: Config, after: Config): string[] {
  const out: string[] = []
  for (const top of changedKeys(before, after)) {
    if (LIVE_TOP.has(top)) continue
    const a = (before as Record<string, unknown>)[top]
    const b = (after as Record<string, unknown>)[top]
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
      for (const k of changedKeys(a, b)) if (!(top === 'api' && LIVE_API.has(k))) out.push(`${top}.${k}`)
    } else {
      out.push(top)
    }
  }
  return out
}

const devicesOf = (c: Config): Array<Device & { site: string }> => c.sites.flatMap((s) => s.devices.map((d) => ({ ...d, site: s.id })))

export function diffConfig (before: Config, after: Config): ConfigDiff {
  const devs = idChanges(devicesOf(before), devicesOf(after), (d) => d.id)
  const oldDevices = byId(devicesOf(before), (d) => d.id)
  const disabled: string[] = []
  const enabled: string[] = []
  for (const d of devicesOf(after)) {
    const o = oldDevices.get(d.id)
    if (!o) { if (d.disabled) disabled.push(d.id); continue }
    if (d.disabled && !o.disabled) disabled.push(d.id)
    if (!d.disabled && o.disabled) enabled.push(d.id)
  }
  const oldSites = byId(before.sites, (s) => s.id)
  return {
    sites: idChanges(before.sites, after.sites, (s) => s.id, ['devices']),
    devices: { ...devs, disabled, enabled },
    limits: after.sites.flatMap((s) => { const o = oldSites.get(s.id); return o ? limitChanges(o, s) : [] }),
    accounts: idChanges(before.accounts, after.accounts, (a) => a.username),
    tokens: idChanges(before.api.tokens, after.api.tokens, (t) => t.name),
    needsRestart: restartPaths(before, after)
  }
}

/** True when the diff changes nothing at all. */
export function isEmptyDiff (d: ConfigDiff): boolean {
  const none = (c: IdChanges) => c.added.length === 0 && c.removed.length === 0 && c.changed.length === 0
  return none(d.sites) && none(d.devices) && none(d.accounts) && none(d.tokens) && d.limits.length === 0 && d.needsRestart.length === 0
}
