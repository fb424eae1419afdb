/**
 * "A 9014 sent to an HJ 212 device means its data is durable": minewatch runs as a child process
 * (`minewatch up --hj212-port`), devices pipeline real-time frames asking for acks, and the
 * process is SIGKILLed the moment the 300th 9014 arrives. Every acknowledged frame must be stored.
 */
import { it, expect } from 'vitest'
import { tempDir } from '../helpers/ports.js'
import { missingFromStore, startMinewatchProcess } from '../helpers/minewatch-process.js'
import { Hj212DeviceClient } from '../../simulators/hj212-device.js'

const DEVICES = [
  { id: 'HJ-DUST01', mn: 'GM0001DUST0001', pw: '123456' },
  { id: 'HJ-DUST02', mn: 'GM0001DUST0002', pw: '654321' }
]
const PER_DEVICE = 400
const KILL_AFTER_ACKS = 300

it('loses no acknowledged HJ 212 frame when killed with SIGKILL right after a 9014', async () => {
  const dir = tempDir('minewatch-hj212-kill-')
  const mw = await startMinewatchProcess({ config: 'test/fixtures/hj212/minewatch.yaml', dataDir: dir.path, hj212: true })
  const { child, exited } = mw
  const hjPort = mw.hj212Port!
  try {
    const acked: Array<{ device: string, ts: number }> = []
    let killed = false
    const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 // 1 h ago, whole seconds
    const clients = DEVICES.map((d) => new Hj212DeviceClient({ host: '127.0.0.1', port: hjPort, mn: d.mn, pw: d.pw, st: '22', quirks: d.id === 'HJ-DUST02' ? { crc: 'swapped' } : {}, ackTimeoutMs: 60_000 }))
    await Promise.all(clients.map((c) => c.connect()))
    const sends: Promise<void>[] = []
    clients.forEach((c, i) => {
      for (let k = 0; k < PER_DEVICE; k++) {
        const ts = base + k * 1000
        const f = c.frame('2011', [[['DataTime', c.dataTime(ts)]], [['a34002-Rtd', String(40 + k % 10)], ['a34002-Flag', 'N']]])
        sends.push(c.send(f).then(() => {
          if (killed) return
          acked.push({ device: DEVICES[i]!.id, ts })
          if (acked.length >= KILL_AFTER_ACKS) {
            killed = true
            child.kill('SIGKILL')
          }
        }, () => {}))
      }
    })
    expect(await exited).toBe('SIGKILL')
    await Promise.all(sends)
    await Promise.all(clients.map((c) => c.close()))
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS)

    const missing = await missingFromStore(dir.path, base, acked)
    expect(missing, `acknowledged but not stored (of ${acked.length})`).toEqual([])
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    dir.remove()
  }
}, 120_000)
