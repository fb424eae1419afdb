/**
 * Simulators against a real Mosquitto (Debian package, anonymous): the simulate
 * command, the real-time simulated sites of `minewatch up --simulate`, and load mode
 * holding 10,000 connections (needs `ulimit -n` ≥ 10,500 in this process and the broker).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js'
import { waitFor } from '../helpers/ports.js'
import { loadConfig, parseConfig } from '../../core/config.js'
import { Registry } from '../../core/registry.js'
import { silentLogger } from '../../core/log.js'
import { simulateCommand } from '../../simulators/cli.js'
import { startSimulatedSites } from '../../simulators/index.js'
import { withoutHj212Devices } from '../../simulators/hj212-publisher.js'
import { prepareRun } from '../../simulators/prepare.js'
import { runLoad } from '../../simulators/load.js'
import { generateLoadConfig, loadDevices } from '../../simulators/loadconfig.js'

const CONFIG = join(import.meta.dirname, '../../config/demo.yaml')
const registry = new Registry(loadConfig(CONFIG).config)
/** The demo without its HJ 212 monitors: what `simulate` runs over MQTT when given no --hj212 gateway (they are tested in hj212-*.test.ts). */
const mqttRegistry = new Registry(withoutHj212Devices(loadConfig(CONFIG).config))
const fdLimit = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim()) || 0

async function subscribe (url: string): Promise<{ messages: Array<{ topic: string, payload: string }>, close: () => Promise<void> }> {
  const messages: Array<{ topic: string, payload: string }> = []
  const c = mqtt.connect(url, { protocolVersion: 4, clientId: `sub-${process.pid}-${Date.now()}` })
  await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject) })
  c.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString() }))
  await c.subscribeAsync('mines/#', { qos: 1 })
  return { messages, close: () => c.endAsync() }
}

describe('simulators over MQTT (Mosquitto)', () => {
  let broker: MosquittoHandle
  beforeAll(async () => { broker = await startMosquitto({ allowAnonymous: true }) })
  afterAll(async () => { await broker?.stop() })

  it('minewatch simulate publishes exactly the scenario\'s messages, QoS 1, one connection per device', async () => {
    const sub = await subscribe(broker.url)
    const lines: string[] = []
    const start = '2026-03-10T08:00:00+08:00'
    const code = await simulateCommand(['--broker', broker.url, '--config', CONFIG, '--sites', 'gz-kaiyang-phos', '--scenario', 'device-offline', '--duration', '40m', '--speed', 'max', '--seed', '5', '--start', start], (l) => lines.push(l))
    expect(code, lines.join('\n')).toBe(0)
    expect(lines).toContain('leaving out 3 HJ 212 device(s): give --hj212 host:port to send their frames to a gateway')
    const expected = prepareRun({ registry: mqttRegistry, scenario: 'device-offline', sites: ['gz-kaiyang-phos'], seed: 5, start: Date.parse(start), durationMs: 40 * 60_000 })
    const want = [...expected.sim.until(expected.end)].map((m) => `${m.topic} ${m.payload.toString()}`)
    await waitFor(() => sub.messages.length >= want.length, 20_000, 'all messages at the subscriber')
    await sub.close()
    expect(sub.messages.map((m) => `${m.topic} ${m.payload}`).sort()).toEqual(want.sort())
    expect(lines.some((l) => l.startsWith('scenario device-offline: gz-kaiyang-phos/GZ-DUST01 silent'))).toBe(true)
    expect(lines.some((l) => l.includes('expected alerts: device_offline@gz-kaiyang-phos/GZ-DUST01'))).toBe(true)
    expect(lines[lines.length - 1]).toMatch(/^done: (\d+)\/\1 messages acknowledged .* 0 errors/)
  })

  it('simulate with speed > 1 and the default start never stamps readings in the future', async () => {
    const sub = await subscribe(broker.url)
    const lines: string[] = []
    const code = await simulateCommand(['--broker', broker.url, '--config', CONFIG, '--sites', 'zj-huzhou-quarry', '--duration', '2m', '--speed', '60'], (l) => lines.push(l))
    expect(code, lines.join('\n')).toBe(0)
    await sub.close()
    expect(sub.messages.length).toBeGreaterThan(500)
    const now = Date.now()
    let newest = 0
    for (const m of sub.messages) for (const r of [JSON.parse(m.payload)].flat()) newest = Math.max(newest, r.ts)
    expect(newest).toBeLessThanOrEqual(now)
    expect(newest).toBeGreaterThan(now - 60_000)
  })

  it('rejects bad arguments with a clear message and exit code 1', async () => {
    const lines: string[] = []
    expect(await simulateCommand(['--config', CONFIG], (l) => lines.push(l))).toBe(1)
    expect(lines.join('\n')).toMatch(/--broker is required/)
    expect(await simulateCommand(['--broker', broker.url, '--config', CONFIG, '--scenario', 'nope'], (l) => lines.push(l))).toBe(1)
    expect(lines.join('\n')).toMatch(/unknown scenario 'nope'/)
    expect(await simulateCommand(['--broker', broker.url, '--config', CONFIG, '--duration', '10 minutes'], (l) => lines.push(l))).toBe(1)
    expect(lines.join('\n')).toMatch(/bad duration '10 minutes'/)
    expect(await simulateCommand(['--broker', broker.url, '--config', CONFIG, '--sites', 'nowhere'], (l) => lines.push(l))).toBe(1)
    expect(lines.join('\n')).toMatch(/unknown site\(s\): nowhere/)
  })

  it('startSimulatedSites: every demo device publishes within a few seconds, in real time', async () => {
    const sub = await subscribe(broker.url)
    const t0 = Date.now()
    const sim = await startSimulatedSites({ registry, brokerUrl: broker.url, seed: 2, logger: silentLogger() })
    try {
      // HJ 212 devices need a gateway (none here); they are left to hj212-*.test.ts
      const all = [...mqttRegistry.devices()].map((e) => e.device.id)
      const seen = () => new Set(sub.messages.map((m) => m.topic.split('/')[3]))
      await waitFor(() => all.every((d) => seen().has(d)), 15_000, 'every device to publish')
      const ts = sub.messages.flatMap((m) => [JSON.parse(m.payload)].flat().map((r: { ts: number }) => r.ts))
      expect(Math.min(...ts)).toBeGreaterThanOrEqual(t0 - 2000)
      expect(Math.max(...ts)).toBeLessThanOrEqual(Date.now() + 1000)
    } finally {
      await sim.stop()
      await sub.close()
    }
  })

  it('load mode against a generated config (QoS 1 arrays, every message acknowledged)', async () => {
    const config = parseConfig(generateLoadConfig({ sites: 3, devices: 300 }), 'load.yaml').config
    const devices = loadDevices(config)
    expect(devices).toHaveLength(300)
    expect(config.broker.rate.messagesPerSecond).toBe(1000)
    const r = await runLoad({ brokerUrl: broker.url, devices, ratePerSecond: 1000, readingsPerMessage: 10, qos: 1, durationMs: 3000, rampMs: 1000 })
    expect(r.connected).toBe(300)
    expect(r.errors).toBe(0)
    expect(r.acked).toBe(r.sent)
    expect(r.sent).toBeGreaterThan(1000)
    expect(r.readingsAcked).toBe(r.acked * 10)
    expect(r.latencyMs.p50).toBeGreaterThan(0)
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50)
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(r.latencyMs.p99)
  })

  it.skipIf(fdLimit < 10_500)('load mode holds 10,000 connected devices', async () => {
    const devices = Array.from({ length: 10_000 }, (_, i) => ({ id: `LD${i}`, password: 'load-password', topic: `mines/load-${i % 10}/status/LD${i}` }))
    const r = await runLoad({ brokerUrl: broker.url, devices, ratePerSecond: 2000, readingsPerMessage: 1, qos: 1, durationMs: 12_000, rampMs: 6000 })
    expect(r.connected).toBe(10_000)
    expect(r.errors).toBe(0)
    expect(r.acked).toBe(r.sent)
    expect(r.sent).toBeGreaterThan(5000)
  }, 90_000)
})
