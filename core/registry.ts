/**
 * Fast look-ups over the validated configuration: device by id, site by id, who may see what.
 * One Registry lives as long as the process: a config reload swaps its contents in place
 * (`replace`), so every part holding it sees the new sites and devices at once.
 */
import type { Config } from './config.js'
import type { Device, Site } from './sites.js'

export interface DeviceEntry {
  device: Device
  site: Site
}

export class Registry {
  private current: Config
  private siteById = new Map<string, Site>()
  private deviceById = new Map<string, DeviceEntry>()

  constructor (config: Config) {
    this.current = config
    this.index(config)
  }

  /** The config the registry was built from (the newest applied one after a reload). */
  get config (): Config { return this.current }
  get sites (): readonly Site[] { return this.current.sites }

  site (id: string): Site | undefined { return this.siteById.get(id) }
  /** Every configured device, disabled ones included (their history stays visible); check `device.disabled`. */
  device (id: string): DeviceEntry | undefined { return this.deviceById.get(id) }
  devices (): IterableIterator<DeviceEntry> { return this.deviceById.values() }
  get deviceCount (): number { return this.deviceById.size }

  /** Swaps in a new validated config (a reload): look-ups answer from it from now on. */
  replace (config: Config): void {
    this.current = config
    this.index(config)
  }

  private index (config: Config): void {
    // new maps, swapped whole: an iteration in progress keeps the old view
    const sites = new Map<string, Site>()
    const devices = new Map<string, DeviceEntry>()
    for (const site of config.sites) {
      sites.set(site.id, site)
      for (const device of site.devices) devices.set(device.id, { device, site })
    }
    this.siteById = sites
    this.deviceById = devices
  }
}

/** True when a grant of `sites` ('*' or a list) covers `site`. */
export function coversSite (sites: '*' | readonly string[], site: string): boolean {
  return sites === '*' || sites.includes(site)
}

/**
 * Replacement chains (a device swapped for another at the same position, docs/operations.md):
 * each device id of the site mapped to the id of the device now at its position (the newest of
 * its chain). Reports and day facts count a chain as one device, under that id.
 */
export function positions (site: Site): Map<string, string> {
  const byId = new Map(site.devices.map((d) => [d.id, d]))
  const out = new Map<string, string>()
  for (const d of site.devices) {
    let head = d
    const seen = new Set<string>([d.id])
    for (let next = head.replacedBy ? byId.get(head.replacedBy) : undefined; next && !seen.has(next.id); next = next.replacedBy ? byId.get(next.replacedBy) : undefined) {
      seen.add(next.id)
      head = next
    }
    out.set(d.id, head.id)
  }
  return out
}

/** The devices that stand for a position: every device of the site except those replaced by another of it. */
export function positionDevices (site: Site): Device[] {
  const ids = new Set(site.devices.map((d) => d.id))
  return site.devices.filter((d) => d.replacedBy === undefined || !ids.has(d.replacedBy))
}
