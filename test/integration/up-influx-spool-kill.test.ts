/**
 * Issue 3, whole process: `minewatch up` on InfluxDB 1.x while InfluxDB is down. Devices'
 * QoS 1 readings are acknowledged once they are fsynced into the spool; minewatch is then
 * SIGKILLed with the spool full, InfluxDB comes back, minewatch restarts on the same data
 * dir, and InfluxDB ends up holding exactly the acknowledged readings: none lost, none twice.
 */
import { it, expect } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { freePort, tempDir, waitFor } from '../helpers/ports.js'
import { startInfluxDB } from '../helpers/influxdb.js'
import { DEMO_TEXT } from '../helpers/minewatch.js'
import { InfluxTelemetryStore } from '../../store/influx/index.js'

const SITE = 'zj-huzhou-quarry'
const DEVICES = ['ZJ-DUST01', 'ZJ-WM01', 'ZJ-TRK01']

function startUp (configFile: string, dataDir: string, mqttPort: number, httpPort: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'bin/minewatch.ts', 'up', '--config', configFile, '--data-dir', dataDir,
    '--mqtt-port', String(mqttPort), '--http-port', String(httpPort)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, MINEWATCH_LOG_LEVEL: 'error' } })
}

const healthy = (port: number) => async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true

function payload (device: string, ts: number, seq: number): unknown {
  if (device.includes('DUST')) return { ts, seq, tsp: 300 + (seq % 7), pm10: 150, pm25: 60 }
  if (device.includes('WM')) return { ts, seq, totalM3: 1000 + seq, flowM3h: 12 }
  return { ts, seq, entity: 'vehicle', entityId: device, lat: 30.9526, lon: 119.9102, speedKmh: 20 }
}

it('keeps every acknowledged reading through an InfluxDB outage and a SIGKILL with the spool full', { timeout: 180_000 }, async () => {
  const influx = await startInfluxDB()
  const dir = tempDir('minewatch-spool-kill-')
  const configFile = join(dir.path, 'config.yaml')
  writeFileSync(configFile, `${DEMO_TEXT}\nstore:\n  kind: influx\n  influx: { url: "${influx.url}", api: v1, db: minewatch_kill }\n`)
  const [mqttPort, httpPort] = [await freePort(), await freePort()]
  let child: ChildProcess | undefined
  try {
    await influx.pause() // InfluxDB down before minewatch starts
    child = startUp(configFile, join(dir.path, 'data'), mqttPort, httpPort)
    await waitFor(healthy(httpPort), 60_000, 'minewatch to start with InfluxDB down')

    const base = Date.now() - 600_000
    let acked = 0
    for (const id of DEVICES) {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: id, password: `demo-${id}-pw`, clientId: `kill-${id}`, protocolVersion: 4, reconnectPeriod: 0 })
      const kind = id.includes('DUST') ? 'dust' : id.includes('WM') ? 'water' : 'locator'
      for (let m = 0; m < 20; m++) {
        const readings = Array.from({ length: 25 }, (_, k) => payload(id, base + m * 25 + k, m * 25 + k))
        await c.publishAsync(`mines/${SITE}/${kind}/${id}`, JSON.stringify(readings), { qos: 1 })
        acked += readings.length
      }
      await c.endAsync()
    }
    expect(acked).toBe(DEVICES.length * 20 * 25)

    const exited = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGKILL')
    await exited

    await influx.restart()
    child = startUp(configFile, join(dir.path, 'data'), mqttPort, httpPort)
    await waitFor(healthy(httpPort), 60_000, 'minewatch to restart')

    const reader = new InfluxTelemetryStore({ config: { url: influx.url, api: 'v1', db: 'minewatch_kill', timeoutMs: 10_000 } })
    try {
      await waitFor(async () => (await reader.count({ site: SITE, from: base }).catch(() => 0)) >= acked, 60_000, 'the spool to replay into InfluxDB')
      await new Promise((r) => setTimeout(r, 1000)) // nothing more arrives: no duplicates
      expect(await reader.count({ site: SITE, from: base })).toBe(acked)
      for (const id of DEVICES) expect(await reader.count({ site: SITE, device: id, from: base }), id).toBe(500)
    } finally {
      await reader.close()
    }
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    await influx.stop()
    dir.remove()
  }
})
