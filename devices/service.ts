/**
 * Device lifecycle through the API (admin, docs/operations.md): add, disable, enable, replace and
 * retire a device. Each change is checked against the running registry (a specific error per
 * problem), applied live through the reload coordinator (the same diff, parts and report as a
 * config reload) and, once every part took it, stored append-only with who, when and why. The
 * stored changes are overrides on top of the config file (devices/overrides.ts).
 */
import { randomBytes } from 'node:crypto'
import { MinewatchError } from '../core/errors.js'
import { deviceSchema, isRetired, type Device } from '../core/sites.js'
import { hashSecret } from '../core/secrets.js'
import type { LoadedConfig } from '../core/config.js'
import type { Clock } from '../core/clock.js'
import type { DeviceAction, DeviceChange, DeviceChangeStore } from '../store/state.js'
import type { ReloadCoordinator, ReloadReport } from '../reload/coordinator.js'
import { applyOverrides } from './overrides.js'

export interface DeviceChangeRequest {
  action: DeviceAction
  /** The device to change; for add, the new device's id. */
  device: string
  /** Required: why (audited). */
  reason?: string
  /** Who: the API token's name. */
  by: string
  /** add: the site of the new device. */
  site?: string
  /** add: the device (secretHash, or none: one is generated); replace: the replacement's id, MN, secrets, name, and kind/site to check. */
  spec?: Record<string, unknown>
}

export interface DeviceChangeResult {
  change: DeviceChange
  report: ReloadReport
  /** Secrets generated for the new device, returned this once (only their hashes are kept). */
  generated?: { secret?: string, hj212Pw?: string }
}

const generate = (): string => randomBytes(18).toString('base64url')

/** Fields copied from a replaced device to its replacement: the same logical position. */
const POSITION_FIELDS = ['kind', 'name', 'role', 'unit', 'intervalS', 'location'] as const

function fail (code: 'MW_DEVICE_UNKNOWN' | 'MW_DEVICE_EXISTS' | 'MW_DEVICE_RETIRED' | 'MW_DEVICE_KIND_MISMATCH' | 'MW_REASON_REQUIRED' | 'MW_LIFECYCLE_INVALID' | 'MW_BAD_REQUEST' | 'MW_CONFLICT' | 'MW_NOT_FOUND', detail: string): never {
  throw new MinewatchError(code, detail)
}

function parseDevice (raw: unknown, what: string): Device {
  const r = deviceSchema.safeParse(raw)
  if (!r.success) fail('MW_LIFECYCLE_INVALID', `${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(device)'}: ${i.message}`).join('; ')}`)
  return r.data
}

export class DeviceLifecycle {
  /** Every stored change, oldest first (loaded at start, appended to as changes commit). */
  private readonly changes: DeviceChange[]

  constructor (private readonly o: { store: DeviceChangeStore, changes: readonly DeviceChange[], reloads: () => ReloadCoordinator, clock: Clock }) {
    this.changes = [...o.changes]
  }

  /** The stored changes applied on top of a freshly loaded file (start and every reload). */
  merge (file: LoadedConfig): LoadedConfig {
    return applyOverrides(file, this.changes)
  }

  /** The audit list, oldest first; optionally of one device. */
  async list (device?: string): Promise<DeviceChange[]> {
    return await this.o.store.list(device === undefined ? {} : { device })
  }

  /** Checks, applies live and stores one change; throws a specific MinewatchError and changes nothing when it cannot be made. */
  async change (req: DeviceChangeRequest): Promise<DeviceChangeResult> {
    const reason = typeof req.reason === 'string' ? req.reason.trim() : ''
    if (reason === '') fail('MW_REASON_REQUIRED', `${req.action} ${req.device}: give the reason for the change (it is audited with who and when)`)
    let generated: DeviceChangeResult['generated']
    let stored: DeviceChange | undefined
    const report = await this.o.reloads().applyPlan(`device-change:${req.by}`, (current) => {
      const draft = this.draft(current, { ...req, reason })
      generated = draft.generated
      const change: DeviceChange = { ...draft.change, seq: (this.changes.at(-1)?.seq ?? 0) + 1 }
      const next = applyOverrides(current, [...this.changes, change])
      const mine = next.overrides!.at(-1)!
      if (mine.outcome === 'skipped') fail('MW_LIFECYCLE_INVALID', `${req.action} ${req.device}: ${mine.detail ?? ''}`)
      return {
        next,
        commit: async () => {
          const { seq: _, ...rest } = change
          stored = await this.o.store.append(rest)
          this.changes.push(stored)
        }
      }
    })
    if (!stored) throw new MinewatchError('MW_CONFLICT', `${req.action} ${req.device} was not applied: reload ${report.outcome} (${report.problems.join('; ')}); the running config is unchanged`, { details: report })
    return { change: stored, report, generated }
  }

  /** The change to store, checked against the running config. */
  private draft (current: LoadedConfig, req: DeviceChangeRequest & { reason: string }): { change: Omit<DeviceChange, 'seq'>, generated?: DeviceChangeResult['generated'] } {
    const config = current.config
    const all = config.sites.flatMap((s) => s.devices.map((d) => ({ site: s.id, device: d })))
    const byId = new Map(all.map((e) => [e.device.id, e]))
    const mnOwner = new Map(all.flatMap((e) => e.device.hj212 ? [[e.device.hj212.mn, e.device.id] as const] : []))
    const idFree = (id: string, except?: string) => {
      if (id !== except && byId.has(id)) fail('MW_DEVICE_EXISTS', `device id '${id}' is already in the registry (site '${byId.get(id)!.site}')`)
      if (config.accounts.some((a) => a.username === id)) fail('MW_DEVICE_EXISTS', `'${id}' is an MQTT account's username: device ids are MQTT usernames`)
    }
    const mnFree = (mn: string | undefined, except: string) => {
      const owner = mn === undefined ? undefined : mnOwner.get(mn)
      if (owner !== undefined && owner !== except) fail('MW_DEVICE_EXISTS', `HJ 212 MN '${mn ?? ''}' is already used by device '${owner}'`)
    }
    const base = { at: this.o.clock.now(), by: req.by, action: req.action, reason: req.reason }
    if (req.action === 'add') {
      const site = config.sites.find((s) => s.id === req.site)
      if (!site) fail('MW_NOT_FOUND', `site '${req.site ?? ''}' is not in the registry`)
      const raw = { ...(req.spec ?? {}) } as Record<string, unknown> & { hj212?: Record<string, unknown> }
      if ('password' in raw || (raw.hj212 && 'pw' in raw.hj212)) fail('MW_BAD_REQUEST', 'send secrets as scrypt hashes (secretHash, hj212.pwHash; `minewatch hash-secret`) or leave them out to have them generated: plain secrets are never stored')
      for (const k of ['disabled', 'retiredAt', 'replacedBy', 'replacedAt', 'replaces'] as const) if (k in raw) fail('MW_BAD_REQUEST', `${k} is set by the lifecycle actions, not by add`)
      const generated: NonNullable<DeviceChangeResult['generated']> = {}
      if (raw.secretHash === undefined && raw.hj212 === undefined) { generated.secret = generate(); raw.secretHash = hashSecret(generated.secret) }
      if (raw.hj212 && raw.hj212.pwHash === undefined) { generated.hj212Pw = generate(); raw.hj212 = { ...raw.hj212, pwHash: hashSecret(generated.hj212Pw) } }
      const spec = parseDevice(raw, 'device')
      idFree(spec.id)
      mnFree(spec.hj212?.mn, '')
      return { change: { ...base, device: spec.id, site: site.id, spec }, generated: Object.keys(generated).length > 0 ? generated : undefined }
    }
    const e = byId.get(req.device)
    if (!e) fail('MW_DEVICE_UNKNOWN', `device '${req.device}' is not in the registry`)
    const d = e.device
    if (isRetired(d)) fail('MW_DEVICE_RETIRED', `device '${d.id}' is ${d.replacedBy ? `replaced by '${d.replacedBy}'` : 'retired'}: it takes no more changes (its history stays)`)
    const change = { ...base, device: d.id, site: e.site, spec: null }
    if (req.action === 'disable' && d.disabled) fail('MW_CONFLICT', `device '${d.id}' is disabled already`)
    if (req.action === 'enable' && !d.disabled) fail('MW_CONFLICT', `device '${d.id}' is enabled already`)
    if (req.action !== 'replace') return { change }
    const raw = req.spec ?? {}
    if (raw.kind !== undefined && raw.kind !== d.kind) fail('MW_DEVICE_KIND_MISMATCH', `'${d.id}' is a ${d.kind} device; its replacement must be one too (got ${String(raw.kind)}): add a ${String(raw.kind)} device and retire this one instead`)
    if (raw.site !== undefined && raw.site !== e.site) fail('MW_DEVICE_KIND_MISMATCH', `'${d.id}' is at site '${e.site}'; its replacement takes its position there (got site ${String(raw.site)})`)
    if ('password' in raw || 'pw' in raw) fail('MW_BAD_REQUEST', 'send secrets as scrypt hashes (secretHash, pwHash) or leave them out: plain secrets are never stored')
    const id = typeof raw.id === 'string' ? raw.id : d.id
    const mn = typeof raw.mn === 'string' ? raw.mn : undefined
    if (id === d.id && mn === undefined) fail('MW_BAD_REQUEST', `a replacement of '${d.id}' needs a new id, a new HJ 212 MN (mn), or both`)
    if (mn !== undefined && !d.hj212) fail('MW_BAD_REQUEST', `'${d.id}' does not speak HJ 212: a replacement has no MN to change`)
    idFree(id, d.id)
    mnFree(mn, id === d.id ? d.id : '')
    if (id !== d.id && mn === undefined && d.hj212) fail('MW_DEVICE_EXISTS', `HJ 212 MN '${d.hj212.mn}' stays with '${d.id}' (its history): give the replacement its own MN (mn)`)
    const generated: NonNullable<DeviceChangeResult['generated']> = {}
    const spec: Record<string, unknown> = { id }
    for (const k of POSITION_FIELDS) if (d[k] !== undefined) spec[k] = d[k]
    if (typeof raw.name === 'string') spec.name = raw.name
    if (d.secretHash !== undefined || d.password !== undefined || raw.secretHash !== undefined) {
      if (typeof raw.secretHash === 'string') spec.secretHash = raw.secretHash
      else if (id === d.id) spec.secretHash = d.secretHash ?? hashSecret(d.password!)
      else { generated.secret = generate(); spec.secretHash = hashSecret(generated.secret) }
    }
    if (d.hj212) {
      const { pw, nextPwHash: _, ...framing } = d.hj212
      const pwHash = typeof raw.pwHash === 'string' ? raw.pwHash : d.hj212.pwHash ?? hashSecret(pw!)
      spec.hj212 = { ...framing, mn: mn ?? d.hj212.mn, pwHash }
    }
    return { change: { ...change, spec: parseDevice(spec, 'replacement') }, generated: Object.keys(generated).length > 0 ? generated : undefined }
  }
}
