/**
 * Finding 2 of issue 13: with hashed secrets every unknown API token ran synchronous scrypt once
 * per `tokenHash`, and every wrong MQTT password ran scrypt too: 100 bad tokens from 10 addresses
 * blocked the event loop (broker, ingest, API) for 31 s. Verification is now asynchronous (libuv
 * pool), bounded (a few at once, a short queue, the rest refused as busy) and cached, and an
 * unknown username costs the same scrypt as a known one.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, connectDevice } from '../helpers/minewatch.js'
import { addresses, hashedConfig, httpGet, mqttLogin, watchEventLoop } from './helpers.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW
const SITE = 'zj-huzhou-quarry'

beforeAll(async () => { mw = await startTestMinewatch({ config: hashedConfig() }) })
afterAll(async () => { await mw?.cleanup() })

async function metric (name: string, labels: string): Promise<number> {
  const text = await mw.metrics.registry.metrics()
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`))
  return line ? Number(line.split(' ').pop()) : 0
}

describe('CPU exhaustion before authentication', () => {
  it('100 bad tokens and 100 bad passwords from many addresses never stall the event loop; legit traffic goes on', async () => {
    const device = await connectDevice(mw.mqttPort, 'ZJ-DUST05')
    try {
      const watch = watchEventLoop()
      const tokenAttackers = addresses(10, 10)
      const loginAttackers = addresses(20, 30)
      const attack = Promise.all([
        ...Array.from({ length: 100 }, (_, i) => httpGet(mw.httpPort, `/api/v1/sites/${SITE}/latest`, `guess-${i}-xxxxxxxxxxxxxxxx`, tokenAttackers[i % 10])),
        ...Array.from({ length: 100 }, (_, i) => mqttLogin(mw.mqttPort, i % 2 === 0 ? 'ZJ-DUST01' : `NOBODY-${i}`, `guess-${i}`, { localAddress: loginAttackers[i % 20] }))
      ])
      // legitimate traffic while the attack is in flight
      const legit: number[] = []
      for (let i = 0; i < 10; i++) {
        await device.publishAsync(`mines/${SITE}/dust/ZJ-DUST05`, JSON.stringify({ ts: Date.now(), seq: i, tsp: 0.2 }), { qos: 1 })
        legit.push((await httpGet(mw.httpPort, '/healthz')).status)
      }
      const results = await attack
      const stall = watch.stop()
      expect(legit).toEqual(Array(10).fill(200))
      // the detector's threshold is 20× a normal turn; synchronous scrypt stalled it for 31 s
      expect(stall, 'longest event-loop stall, ms').toBeLessThan(1000)
      for (const r of results) {
        if ('status' in r) expect([401, 429, 503]).toContain(r.status)
        else expect([3, 4, 5, 'closed']).toContain(r.code)
      }
      expect(results.some((r) => 'code' in r && r.code === 0)).toBe(false)
    } finally {
      await device.endAsync()
    }
  })

  it('an unknown username costs a verification like a known one (no timing oracle)', async () => {
    const before = await metric('minewatch_secret_checks_total', 'outcome="bad"')
    const unknown = await mqttLogin(mw.mqttPort, 'NO-SUCH-DEVICE', 'whatever-secret', { localAddress: '127.0.0.90' })
    const known = await mqttLogin(mw.mqttPort, 'ZJ-DUST02', 'wrong-secret', { localAddress: '127.0.0.91' })
    expect(unknown.code).toBe(4)
    expect(known.code).toBe(4)
    // both ran one scrypt: the unknown one against a dummy hash
    expect(await metric('minewatch_secret_checks_total', 'outcome="bad"')).toBe(before + 2)
    // and take comparable time (measured together, so machine load cancels out)
    const time = async (user: string, addr: string): Promise<number> => {
      const t0 = performance.now()
      await mqttLogin(mw.mqttPort, user, 'wrong-secret', { localAddress: addr })
      return performance.now() - t0
    }
    const u: number[] = []
    const k: number[] = []
    for (let i = 0; i < 4; i++) {
      u.push(await time(`NOBODY-${i}`, `127.0.0.${100 + i}`))
      k.push(await time('ZJ-DUST03', `127.0.0.${110 + i}`))
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!
    expect(median(u) / median(k)).toBeGreaterThan(0.4)
  })
})
