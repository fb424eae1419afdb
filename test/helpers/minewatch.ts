/** Starts minewatch in-process on free ports with a temp data dir, and MQTT device clients for it. */
import mqtt, { type MqttClient } from 'mqtt'
import { readFileSync } from 'node:fs'
import { parseConfig, type LoadedConfig } from '../../core/config.js'
import { silentLogger } from '../../core/log.js'
import type { Clock } from '../../core/clock.js'
import { startMinewatch, type Minewatch } from '../../bin/up.js'
import { tempDir } from './ports.js'

export const DEMO_TEXT = readFileSync('config/demo.yaml', 'utf8')

/** The demo config, optionally with extra top-level YAML appended (e.g. an `alerts:` section). */
export function demoConfig (extraYaml = '', env: NodeJS.ProcessEnv = {}): LoadedConfig {
  return parseConfig(`${DEMO_TEXT}\n${extraYaml}\n`, 'config/demo.yaml+test', env)
}

export async function startTestMinewatch (opts: { config?: LoadedConfig, clock?: Clock, dataDir?: string, simulate?: boolean, seed?: number } = {}): Promise<Minewatch & { dataDir: string, cleanup(): Promise<void> }> {
  const dir = opts.dataDir ? undefined : tempDir('minewatch-up-')
  const dataDir = opts.dataDir ?? dir!.path
  const mw = await startMinewatch({
    config: opts.config ?? demoConfig(), dataDir, mqttPort: 0, httpPort: 0, host: '127.0.0.1',
    clock: opts.clock, logger: silentLogger(), simulate: opts.simulate, seed: opts.seed
  })
  return Object.assign(mw, {
    dataDir,
    async cleanup () { await mw.close(); dir?.remove() }
  })
}

/** Connects as a device (demo password `demo-<id>-pw` unless given). Rejects on CONNACK refusal. */
export async function connectDevice (port: number, id: string, password = `demo-${id}-pw`, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    username: id, password, clientId: `${id}-${Math.random().toString(16).slice(2, 8)}`,
    protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...extra
  })
}

/**
 * Publishes `readings` as a device over MQTT, QoS 1, `perMessage` to a message: resolves once every
 * PUBACK is in, i.e. the readings are durable (or dropped as duplicates) and handed to the alert engine.
 */
export async function publishReadings (mw: Minewatch, site: string, kind: string, device: string, readings: unknown[], perMessage = 2000): Promise<void> {
  const c = await connectDevice(mw.mqttPort, device)
  try {
    for (let i = 0; i < readings.length; i += perMessage) await c.publishAsync(`mines/${site}/${kind}/${device}`, JSON.stringify(readings.slice(i, i + perMessage)), { qos: 1 })
  } finally {
    await c.endAsync()
  }
}

export async function api (mw: Minewatch, path: string, token = 'demo-admin-token-0001', init: RequestInit = {}): Promise<Response> {
  return await fetch(`http://127.0.0.1:${mw.httpPort}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } })
}
