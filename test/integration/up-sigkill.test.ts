/**
 * "A QoS 1 reading acknowledged to the device must already be durable": minewatch runs as a
 * child process, devices pipeline QoS 1 messages, and the process is SIGKILLed the moment the
 * 300th PUBACK arrives. Every acknowledged reading must be in the store afterwards.
 */
import { it, expect } from 'vitest'
import mqtt from 'mqtt'
import { tempDir } from '../helpers/ports.js'
import { missingFromStore, startMinewatchProcess } from '../helpers/minewatch-process.js'

const SITE = 'zj-huzhou-quarry'
const DEVICES = ['ZJ-DUST01', 'ZJ-DUST02', 'ZJ-DUST03', 'ZJ-DUST04']
const PER_DEVICE = 150
const READINGS_PER_MESSAGE = 10
const KILL_AFTER_ACKS = 300

it('loses no acknowledged reading when killed with SIGKILL right after a PUBACK', async () => {
  const dir = tempDir('minewatch-kill-')
  const mw = await startMinewatchProcess({ config: 'config/demo.yaml', dataDir: dir.path })
  const { child, exited, mqttPort } = mw
  try {

    const acked: Array<{ device: string, ts: number }> = []
    let killed = false
    const base = Date.now() - 120_000
    const clients = await Promise.all(DEVICES.map((id) => mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      username: id, password: `demo-${id}-pw`, clientId: `kill-${id}`, protocolVersion: 4, reconnectPeriod: 0
    })))
    clients.forEach((c, d) => {
      c.on('error', () => {})
      for (let m = 0; m < PER_DEVICE; m++) {
        const readings = Array.from({ length: READINGS_PER_MESSAGE }, (_, k) => ({ ts: base + m * READINGS_PER_MESSAGE + k, seq: m * READINGS_PER_MESSAGE + k, pm10: 40 + k }))
        c.publish(`mines/${SITE}/dust/${DEVICES[d]}`, JSON.stringify(readings), { qos: 1 }, (err) => {
          if (err || killed) return
          for (const r of readings) acked.push({ device: DEVICES[d]!, ts: r.ts })
          if (acked.length >= KILL_AFTER_ACKS * READINGS_PER_MESSAGE) {
            killed = true
            child.kill('SIGKILL')
          }
        })
      }
    })
    expect(await exited).toBe('SIGKILL')
    for (const c of clients) c.end(true)
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS * READINGS_PER_MESSAGE)

    const missing = await missingFromStore(dir.path, base, acked)
    expect(missing, `${missing.length} acknowledged readings missing`).toEqual([])
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    dir.remove()
  }
})
