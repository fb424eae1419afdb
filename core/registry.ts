/** Fast look-ups over the validated configuration: device by id, site by id, who may see what. */
import type { Config } from './config.js'
import type { Device, Site } from './sites.js'

export interface DeviceEntry {
  device: Device
  site: Site
}

export class Registry {
  readonly sites: readonly Site[]
  private readonly siteById = new Map<string, Site>()
  private readonly deviceById = new Map<string, DeviceEntry>()

  constructor (readonly config: Config) {
    this.sites = config.sites
    for (const site of config.sites) {
      this.siteById.set(site.id, site)
      for (const device of site.devices) this.deviceById.set(device.id, { device, site })
    }
  }

  site (id: string): Site | undefined { return this.siteById.get(id) }
  device (id: string): DeviceEntry | undefined { return this.deviceById.get(id) }
  devices (): IterableIterator<DeviceEntry> { return this.deviceById.values() }
  get deviceCount (): number { return this.deviceById.size }
}

/** True when a grant of `sites` ('*' or a list) covers `site`. */
export function coversSite (sites: '*' | readonly string[], site: string): boolean {
  return sites === '*' || sites.includes(site)
}
