/**
 * Finding 8 of issue 13: the MQTT login throttle was checked before authentication but counted
 * after it, so parallel CONNECTs got 29 guesses through a limit of 5; there was no per-account
 * limit; a blocked address also blocked the correct password; the API's bad-token limit refused
 * valid tokens it had not seen from that address (behind a reverse proxy: everyone).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch } from '../helpers/minewatch.js'
import { addresses, hashedConfig, httpGet, mqttLogin } from './helpers.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW

beforeAll(async () => { mw = await startTestMinewatch({ config: hashedConfig() }) })
afterAll(async () => { await mw?.cleanup() })

async function authFailures (reason: string): Promise<number> {
  const m = (await mw.metrics.brokerAuthFailures.get()).values.find((v) => v.labels.reason === reason)
  return m?.value ?? 0
}

describe('MQTT login throttle', () => {
  it('counts atomically: 30 parallel guesses from one address get at most failedLogins.max (5) checks', async () => {
    const before = await authFailures('bad_password')
    const r = await Promise.all(Array.from({ length: 30 }, (_, i) => mqttLogin(mw.mqttPort, 'ZJ-DUST01', `guess-${i}`, { localAddress: '127.0.0.50' })))
    expect(await authFailures('bad_password') - before).toBeLessThanOrEqual(5)
    expect(r.filter((x) => x.code === 4).length).toBeLessThanOrEqual(5)
    expect(r.every((x) => x.code === 4 || x.code === 5 || x.code === 3)).toBe(true)
  })

  it('limits an account guessed from many addresses, without locking it out of the address it uses', async () => {
    const home = '127.0.0.60'
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST02', 'demo-ZJ-DUST02-pw', { localAddress: home })).code).toBe(0)
    // 25 addresses, 1 guess each: under the per-address limit, over the per-account one (20)
    for (const a of addresses(25, 150)) await mqttLogin(mw.mqttPort, 'ZJ-DUST02', 'wrong', { localAddress: a })
    expect(await authFailures('account_blocked')).toBeGreaterThanOrEqual(5)
    // the right secret from a new address is refused while the account is blocked there ...
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST02', 'demo-ZJ-DUST02-pw', { localAddress: '127.0.0.200' })).code).toBe(5)
    // ... and admitted from the device's own address
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST02', 'demo-ZJ-DUST02-pw', { localAddress: home })).code).toBe(0)
  })

  it('a blocked address still admits a correct secret that logged in from it before', async () => {
    const nat = '127.0.0.70' // a mine's shared uplink
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST03', 'demo-ZJ-DUST03-pw', { localAddress: nat })).code).toBe(0)
    for (let i = 0; i < 5; i++) await mqttLogin(mw.mqttPort, 'ZJ-DUST04', `misconfigured-${i}`, { localAddress: nat })
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST04', 'another-guess', { localAddress: nat })).code).toBe(5) // blocked
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST03', 'demo-ZJ-DUST03-pw', { localAddress: nat })).code).toBe(0)
    // a username that never logged in from the blocked address is not checked there
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST05', 'demo-ZJ-DUST05-pw', { localAddress: nat })).code).toBe(5)
  })
})

describe('API bad-token limit', () => {
  it('past the limit, a valid token never seen from that address is still accepted', async () => {
    const proxy = '127.0.0.80'
    const codes: number[] = []
    for (let i = 0; i < 32; i++) codes.push((await httpGet(mw.httpPort, '/api/v1/sites', 'wrong-token-replayed-xxxxxxxx', proxy)).status) // replayed: one scrypt round, then cached
    expect(codes.every((c) => c === 401 || c === 429)).toBe(true)
    const ok = await httpGet(mw.httpPort, '/api/v1/sites', 'demo-regulator-zj-token', proxy)
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.body).items.map((s: { id: string }) => s.id)).toEqual(['zj-huzhou-quarry'])
  })
})
