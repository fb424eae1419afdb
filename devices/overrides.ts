/**
 * The device changes made through the API, as stored overrides on top of the config file
 * (docs/operations.md "Device lifecycle"). The file stays the base: at start and at every reload
 * the stored changes are applied to the file's config in the order they were made. Pure.
 *
 * Rules when the file and a change meet:
 * - the change already holds in the file (it was folded in, e.g. from `minewatch config export`):
 *   a no-op, reported as such;
 * - the change no longer fits the file (its device or site is gone, the file defines the added id
 *   differently, the result would be invalid): the file wins, the change is skipped, with a warning.
 */
import { configSchema, deepFreeze, type Config, type LoadedConfig } from '../core/config.js'
import type { Device, Site } from '../core/sites.js'
import type { DeviceChange } from '../store/state.js'

export type OverrideOutcome = NonNullable<LoadedConfig['overrides']>[number]['outcome']

type Mutable = { sites: Array<Site & { devices: Device[] }> } & Omit<Config, 'sites'>

/** JSON with sorted keys: two devices are the same whatever order their fields were written in. */
export function canonical (v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x)
}

const iso = (ms: number): string => new Date(ms).toISOString()

function find (c: Mutable, id: string): { site: Mutable['sites'][number], index: number, device: Device } | undefined {
  for (const site of c.sites) {
    const index = site.devices.findIndex((d) => d.id === id)
    if (index >= 0) return { site, index, device: site.devices[index]! }
  }
  return undefined
}

/** Applies one change to `c` in place: the outcome, and why for a no-op or a skip. */
function applyOne (c: Mutable, ch: DeviceChange): { outcome: OverrideOutcome, detail?: string } {
  const at = find(c, ch.device)
  switch (ch.action) {
    case 'add': {
      const spec = ch.spec!
      if (at) return canonical(at.device) === canonical(spec) ? { outcome: 'noop', detail: 'the file holds this device already' } : { outcome: 'skipped', detail: `the file defines device '${spec.id}' differently: the file wins` }
      const site = c.sites.find((s) => s.id === ch.site)
      if (!site) return { outcome: 'skipped', detail: `site '${ch.site}' is not in the file` }
      site.devices.push(spec)
      return { outcome: 'applied' }
    }
    case 'replace': {
      const spec = ch.spec!
      if (!at) return { outcome: 'skipped', detail: `device '${ch.device}' is not in the file` }
      if (spec.id === ch.device) { // same id, new HJ 212 MN: the device itself changes, its history is its own
        if (canonical(at.device) === canonical(spec)) return { outcome: 'noop', detail: 'the file holds this replacement already' }
        if (at.device.retiredAt !== undefined || at.device.replacedBy !== undefined) return { outcome: 'skipped', detail: `device '${ch.device}' is retired or replaced in the file` }
        at.site.devices[at.index] = spec
        return { outcome: 'applied' }
      }
      const taken = find(c, spec.id)
      if (at.device.replacedBy === spec.id && taken?.device.replaces === ch.device) return { outcome: 'noop', detail: 'the file holds this replacement already' }
      if (taken) return { outcome: 'skipped', detail: `the file has a device '${spec.id}' already: the file wins` }
      if (at.device.replacedBy !== undefined || at.device.retiredAt !== undefined) return { outcome: 'skipped', detail: `device '${ch.device}' is retired or replaced in the file` }
      at.site.devices[at.index] = { ...at.device, disabled: true, replacedBy: spec.id, replacedAt: iso(ch.at) }
      at.site.devices.splice(at.index + 1, 0, { ...spec, replaces: ch.device })
      return { outcome: 'applied' }
    }
    case 'disable':
    case 'enable':
    case 'retire': {
      if (!at) return { outcome: 'skipped', detail: `device '${ch.device}' is not in the file` }
      const d = at.device
      if (ch.action === 'retire') {
        if (d.retiredAt !== undefined) return { outcome: 'noop', detail: 'the file has it retired already' }
        at.site.devices[at.index] = { ...d, disabled: true, retiredAt: iso(ch.at) }
        return { outcome: 'applied' }
      }
      if (d.retiredAt !== undefined || d.replacedBy !== undefined) return { outcome: 'skipped', detail: `device '${ch.device}' is retired or replaced in the file` }
      const disable = ch.action === 'disable'
      if ((d.disabled === true) === disable) return { outcome: 'noop', detail: `the file has it ${disable ? 'disabled' : 'enabled'} already` }
      const { disabled: _, ...rest } = d
      at.site.devices[at.index] = disable ? { ...rest, disabled: true } : rest
      return { outcome: 'applied' }
    }
  }
}

/** What a change is, for warnings: `#3 replace GS-DUST01`. */
export function changeName (ch: Pick<DeviceChange, 'seq' | 'action' | 'device'>): string {
  return `device change #${ch.seq} (${ch.action} ${ch.device})`
}

/**
 * The file's config with the stored changes applied in order (see the rules above): `base` is the
 * file as loaded, `overrides` says what became of each change, and the warnings name every no-op
 * and skipped one. `file` may be a merged config already: its base is used.
 */
export function applyOverrides (file: LoadedConfig, changes: readonly DeviceChange[]): LoadedConfig {
  const base = file.base ?? file
  if (changes.length === 0) return base
  let current = JSON.parse(JSON.stringify(base.config)) as Mutable
  const outcomes: NonNullable<LoadedConfig['overrides']> = []
  const warnings = [...base.warnings]
  let applied = false
  for (const ch of changes) {
    const next = JSON.parse(JSON.stringify(current)) as Mutable
    let r = applyOne(next, ch)
    if (r.outcome === 'applied') {
      const valid = configSchema.safeParse(next)
      if (valid.success) { current = next; applied = true } else r = { outcome: 'skipped', detail: `on top of the file it makes the config invalid: ${valid.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` }
    }
    outcomes.push({ seq: ch.seq, ...r })
    if (r.outcome === 'skipped') warnings.push(`${base.file}: ${changeName(ch)} is skipped: ${r.detail ?? ''}`)
    if (r.outcome === 'noop') warnings.push(`${base.file}: ${changeName(ch)} is a no-op: ${r.detail ?? ''} (folded into the file)`)
  }
  const config = applied ? deepFreeze(configSchema.parse(current)) : base.config
  return { config, warnings, file: base.file, base, overrides: outcomes }
}
