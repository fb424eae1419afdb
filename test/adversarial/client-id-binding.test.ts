/**
 * Finding 5 of issue 13: client ids were not bound to identities. Any authenticated device could
 * connect with another device's client id (even another site's) while that device was offline;
 * the real device then got CONNACK 2, and a persistent session of another principal could be
 * wiped (clean=1) or drained (clean=0). Now an id named after a username is reserved for it, and
 * any other id belongs to the first username that used it while its session may exist.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch } from '../helpers/minewatch.js'
import { mqttLogin } from './helpers.js'

type MW = Awaited<ReturnType<typeof startTestMinewatch>>
let mw: MW
const VICTIM = 'ZJ-DUST01'
const VICTIM_PW = 'demo-ZJ-DUST01-pw'
const ATTACKER = 'GS-DUST01' // another site's device, with its own valid secret
const ATTACKER_PW = 'demo-GS-DUST01-pw'

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw?.cleanup() })

/** Logs in with clean=0, subscribes QoS 1 to its site and leaves: a persistent session with a subscription. */
async function persistentSession (user: string, pw: string, clientId: string, filter: string): Promise<void> {
  const { code, conn } = await mqttLogin(mw.mqttPort, user, pw, { clientId, clean: false, keep: true })
  expect(code).toBe(0)
  conn.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] })
  const suback = await conn.next()
  expect(suback).toMatchObject({ cmd: 'suback', granted: [1] })
  conn.send({ cmd: 'disconnect' })
  await conn.closed
}

describe('client ids bound to identities', () => {
  it.each([true, false])("another principal cannot take over a device's own id (clean=%s), even before the device ever connected", async (clean) => {
    for (const id of [VICTIM, `${VICTIM}-console`, `${VICTIM}:1`]) {
      expect((await mqttLogin(mw.mqttPort, ATTACKER, ATTACKER_PW, { clientId: id, clean })).code, id).toBe(2)
    }
    // the device itself may always use it
    expect((await mqttLogin(mw.mqttPort, VICTIM, VICTIM_PW, { clientId: VICTIM, clean })).code).toBe(0)
  })

  it("a persistent session is neither wiped nor drained by another principal, and its owner resumes it", async () => {
    await persistentSession(VICTIM, VICTIM_PW, VICTIM, 'mines/zj-huzhou-quarry/#')
    // a message queued for the offline session
    await mw.broker.publish('alerts/zj-huzhou-quarry/dust', 'ignored', 1)
    await mw.broker.publish('mines/zj-huzhou-quarry/dust/ZJ-DUST02', 'queued', 1)
    expect((await mqttLogin(mw.mqttPort, ATTACKER, ATTACKER_PW, { clientId: VICTIM, clean: false })).code).toBe(2)
    expect((await mqttLogin(mw.mqttPort, ATTACKER, ATTACKER_PW, { clientId: VICTIM, clean: true })).code).toBe(2)
    const { code, conn } = await mqttLogin(mw.mqttPort, VICTIM, VICTIM_PW, { clientId: VICTIM, clean: false, keep: true })
    try {
      expect(code).toBe(0)
      const p = await conn.next()
      expect(p).toMatchObject({ cmd: 'publish', topic: 'mines/zj-huzhou-quarry/dust/ZJ-DUST02' })
      expect((p as { payload: Buffer }).payload.toString()).toBe('queued')
    } finally {
      conn.end()
    }
  })

  it('an arbitrary id belongs to the first principal using it while its persistent session lives', async () => {
    const id = 'mqttjs_5e1f00d'
    await persistentSession(VICTIM, VICTIM_PW, id, 'alerts/zj-huzhou-quarry/#')
    expect((await mqttLogin(mw.mqttPort, ATTACKER, ATTACKER_PW, { clientId: id, clean: true })).code).toBe(2)
    expect((await mqttLogin(mw.mqttPort, VICTIM, VICTIM_PW, { clientId: id, clean: true })).code).toBe(0)
    // a clean session ended: the id is free again
    expect((await mqttLogin(mw.mqttPort, ATTACKER, ATTACKER_PW, { clientId: id, clean: true })).code).toBe(0)
  })
})
