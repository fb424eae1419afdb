/**
 * Simulators: device models, scenarios, publishers and load mode.
 * `startSimulatedSites` runs every configured device in real time against a broker
 * (used by `minewatch up --simulate`).
 */
import type { Registry } from '../core/registry.js'
import type { Logger } from '../core/log.js'
import { MinewatchError } from '../core/errors.js'
import { Simulation, selectSites } from './simulation.js'
import { MqttPublisher } from './mqtt-publisher.js'
import { runSimulation } from './run.js'
import { MAX_FUTURE_MS } from '../core/readings.js'
import { Hj212Publisher, routingPublisher } from './hj212-publisher.js'
import { demoIncidents, storyEffects, storyPublisher } from './demo-story.js'
import type { Publisher } from './publisher.js'

export interface SimulatedSitesOptions {
  registry: Registry
  /** mqtt://host:port of the broker to publish to. */
  brokerUrl: string
  /** Site ids (default: all). */
  sites?: string[]
  seed?: number
  /** Simulated ms per wall ms (default 1: real time). */
  speed?: number
  /** Add the demo's incidents on the first site (demo-story.ts): a dust exceedance, a boundary breach and a device offline, raised and resolved in the first minutes. */
  story?: boolean
  logger: Logger
  /** The HJ 212 gateway (host, port): devices with an `hj212:` entry send to it instead of MQTT. */
  hj212?: { host: string, port: number }
}

/**
 * Starts normal operation of the sites' devices from now, endlessly, each device on its
 * own MQTT connection. Every device sends its first reading within about 3 s.
 */
export async function startSimulatedSites (opts: SimulatedSitesOptions): Promise<{ stop(): Promise<void> }> {
  const sites = selectSites(opts.registry, opts.sites).map((s) => s.id)
  const missing = MqttPublisher.missingPasswords(opts.registry, sites).filter((id) => !Hj212Publisher.handles(opts.registry, id))
  if (missing.length > 0) throw new MinewatchError('MW_BAD_REQUEST', `cannot simulate devices without a plain (demo) password: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`)
  const mqttPublisher = new MqttPublisher({
    brokerUrl: opts.brokerUrl,
    registry: opts.registry,
    onError: (device, err) => opts.logger.warn({ device, err: err.message }, 'simulated device connection error')
  })
  const routed = routingPublisher(opts.registry, mqttPublisher, opts.hj212)
  const start = Math.floor(Date.now() / 1000) * 1000
  const first = opts.story ? opts.registry.site(sites[0] ?? '') : undefined
  const plan = first ? demoIncidents(first) : undefined
  const publisher: Publisher & { stop?: () => void } = plan
    ? storyPublisher(routed, plan, start, (err) => opts.logger.debug({ err: (err as Error).message }, 'demo story publish failed'))
    : routed
  if (plan) {
    opts.logger.info({ site: plan.site, breach: plan.breach ? `${plan.breach.entityId} outside the boundary at +60 s, back at +120 s` : null, offline: plan.offline ? `${plan.offline.device} silent +150 s to +210 s` : null, dust: plan.dust ? `${plan.dust.device} TSP +${plan.dust.tspMgM3} mg/m³ from +${plan.dust.fromMs / 1000} s to +${plan.dust.toMs / 1000} s (limit ${plan.dust.limit.limit} mg/m³ over ${plan.dust.limit.windowS} s)` : null }, 'demo story: incidents in the first minutes')
  }
  const sim = new Simulation({ registry: opts.registry, sites, seed: opts.seed ?? 1, start, effects: plan ? storyEffects(plan, start) : [] })
  const abort = new AbortController()
  const done = runSimulation({
    sim,
    publisher,
    end: Infinity,
    speed: opts.speed ?? 1,
    maxAheadMs: MAX_FUTURE_MS - 60_000, // stay a minute inside ingest's future limit
    signal: abort.signal,
    progressEveryMs: 60_000, // 1 min
    onProgress: (p) => opts.logger.debug({ sent: p.sent, acked: p.acked, errors: p.errors, rate: Math.round(p.rate) }, 'simulator progress'),
    onError: (err, device) => opts.logger.debug({ device, err: (err as Error).message }, 'simulated publish failed')
  }).catch((err: unknown) => { opts.logger.error({ err }, 'simulator stopped') })
  opts.logger.info({ sites, devices: [...opts.registry.devices()].filter((e) => sites.includes(e.site.id)).length }, 'simulated sites started')
  return {
    async stop () {
      abort.abort()
      publisher.stop?.()
      await publisher.close()
      await done
    }
  }
}

export { Simulation, selectSites } from './simulation.js'
export { runSimulation, type RunOptions, type RunProgress } from './run.js'
export { directPublisher, memoryPublisher, type Publisher, type DirectHandler } from './publisher.js'
export { MqttPublisher } from './mqtt-publisher.js'
export { prepareRun, type PreparedRun, type PrepareOptions } from './prepare.js'
export { SCENARIOS, scenario, type Scenario, type ScenarioPlan, type ExpectedAlert } from './scenarios/index.js'
export type { SimMessage, Effect } from './types.js'
