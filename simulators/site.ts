/** Builds every simulated device of a site from the registry: a new site file simulates without code. */
import type { Site } from '../core/sites.js'
import type { Actor, Effect } from './types.js'
import { SiteWeather } from './weather.js'
import { DustMonitor } from './models/dust.js'
import { WaterBalance, WaterMeter } from './models/water.js'
import { StatusDevice } from './models/status.js'
import { buildFleet, Production } from './models/fleet.js'
import { EnergyMeterDevice } from './models/energy.js'
import { buildPeople } from './models/people.js'
import { ringCentroid, type PolygonCoords } from '../core/geo.js'

export interface SiteOptions {
  seed: number
  /** Simulated start, epoch ms. */
  start: number
  effects: readonly Effect[]
  /** alerts.offlineFactor of the config: the truck scale keeps its gaps below it. */
  offlineFactor: number
}

/** One actor per device (truck scales and personnel gateways included). */
export function buildSite (site: Site, opts: SiteOptions): Actor[] {
  const { seed, start, effects } = opts
  const latitude = ringCentroid(site.boundary.coordinates as PolygonCoords)[1]
  const weather = new SiteWeather(seed, site.id, latitude)
  const water = new WaterBalance(site, seed, effects)
  const production = new Production(site, effects)
  const actors: Actor[] = []
  for (const d of site.devices) {
    if (d.kind === 'dust') actors.push(new DustMonitor(site, d, weather, seed, start, effects))
    else if (d.kind === 'water') actors.push(new WaterMeter(site, d, water, seed, start))
    else if (d.kind === 'status') actors.push(new StatusDevice(site, d, seed, start))
    else if (d.kind === 'energy') actors.push(new EnergyMeterDevice(site, d, production, seed, start, effects))
  }
  actors.push(...buildFleet(site, seed, start, effects, opts.offlineFactor))
  actors.push(...buildPeople(site, seed, start, effects))
  return actors
}
