/**
 * The Aliyun and Tencent SMS notifiers against local node:http receivers (test/helpers/sms-receiver.ts) that answer as the
 * vendors' SendSms does and VERIFY each request's signature with an implementation of their own
 * (written here from the vendors' documented steps, not calling alerts/notify/sms.ts): a request
 * whose signature does not verify is answered with the vendor's signature error. The real services
 * cannot be reached from the test machines. The Notifier contract, then what SMS adds: Chinese
 * template parameters, the per-number interval, vendor codes read as retry or refuse.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { notifierContract, type NotifierRig } from '../contract/notifier.js'
import { createNotifier, type Notifier } from '../../alerts/notify/notifier.js'
import { answerOf } from '../../alerts/notify/http.js'
import type { Subscription } from '../../alerts/notify/subscriptions.js'
import { ManualClock } from '../../core/clock.js'
import { isMinewatchError, type MinewatchError } from '../../core/errors.js'
import { freePort, waitFor } from '../helpers/ports.js'
import { vendorReceiver, SMS_KEY_ID as KEY_ID, SMS_SECRET as SECRET, type SmsVendor as Vendor } from '../helpers/sms-receiver.js'

const SECRET_ENV = 'MW_TEST_SMS_SECRET'

function smsSub (vendor: Vendor, endpoint: string, o: { phones?: string[], minIntervalS?: number, keyId?: string } = {}): Subscription {
  return {
    id: `sms-${vendor}`, type: vendor === 'aliyun' ? 'aliyun_sms' : 'tencent_sms', allowHttp: true, sites: '*', kinds: '*', minSeverity: 'warning', evidenceEvents: false,
    sms: {
      endpoint, keyId: o.keyId ?? KEY_ID, secretEnv: SECRET_ENV, signName: '矿山监测', templateId: vendor === 'aliyun' ? 'SMS_123456789' : '1234567',
      sdkAppId: vendor === 'tencent' ? '1400000000' : undefined, region: 'ap-guangzhou', phones: o.phones ?? ['+8613800000001'], minIntervalS: o.minIntervalS ?? 0
    }
  }
}

const clock = new ManualClock(Date.UTC(2026, 11, 2, 8, 0, 0))
const deps = (secret = SECRET) => ({ fetch, publish: async () => {}, wallClock: clock, env: { [SECRET_ENV]: secret } })
const body = (n: number) => JSON.stringify({ params: { site: '湖州长兴某建筑石料矿', kind: '扬尘超标', value: `${n}.5 mg/m³`, time: '12-02 16:00' } })

for (const vendor of ['aliyun', 'tencent'] as const) {
  notifierContract(vendor === 'aliyun' ? 'aliyun_sms' : 'tencent_sms', async (): Promise<NotifierRig> => {
    const r = await vendorReceiver(vendor)
    let n = 0
    let last = ''
    return {
      notifier: createNotifier(smsSub(vendor, r.url), deps()),
      unreachable: createNotifier(smsSub(vendor, `http://127.0.0.1:${await freePort()}/`), deps()),
      mode (m) { r.setMode(m); last = body(++n); return last },
      // what the vendor took, as the stored body it came from
      async received (k) {
        await waitFor(() => r.got.length >= k, 5000, `${k} SMS`)
        return r.got.map((g) => JSON.stringify({ params: Array.isArray(g.params) ? { site: g.params[0], kind: g.params[1], value: g.params[2], time: g.params[3] } : g.params }))
      },
      answers: true,
      close: () => r.close()
    }
  })
}

async function failure (p: Promise<void>): Promise<MinewatchError> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(isMinewatchError(err), `rejects with a MinewatchError, got ${String(err)}`).toBe(true)
  return err as MinewatchError
}

describe.each(['aliyun', 'tencent'] as const)('%s SMS against a verifying receiver', (vendor) => {
  let r: Awaited<ReturnType<typeof vendorReceiver>>
  beforeAll(async () => { r = await vendorReceiver(vendor) })
  afterAll(async () => { await r?.close() })

  it('sends the sign name, template and Chinese parameters to every number, signed', async () => {
    const before = r.got.length
    await createNotifier(smsSub(vendor, r.url, { phones: ['+8613800000001', '+8613900000002'] }), deps()).send({ id: 'x', payload: body(2) })
    const g = r.got[before]!
    expect(g.phones).toEqual(['+8613800000001', '+8613900000002'])
    expect(g.signName).toBe('矿山监测')
    expect(g.params).toEqual(vendor === 'aliyun'
      ? { site: '湖州长兴某建筑石料矿', kind: '扬尘超标', value: '2.5 mg/m³', time: '12-02 16:00' }
      : ['湖州长兴某建筑石料矿', '扬尘超标', '2.5 mg/m³', '12-02 16:00'])
  })

  it('a wrong secret: the receiver\'s signature check fails and the delivery is a dead letter with the vendor\'s answer', async () => {
    const err = await failure(createNotifier(smsSub(vendor, r.url), deps('not-the-secret')).send({ id: 'x', payload: body(3) }))
    expect(err.code).toBe('MW_DELIVERY_REFUSED')
    expect(answerOf(err)).toMatch(vendor === 'aliyun' ? /SignatureDoesNotMatch/ : /AuthFailure\.SignatureFailure/)
  })

  it('a number that just got an SMS waits minIntervalS: retried with retryAfterMs, then sent', async () => {
    const n: Notifier = createNotifier(smsSub(vendor, r.url, { minIntervalS: 60 }), deps())
    await n.send({ id: 'a', payload: body(4) })
    clock.advance(20_000)
    const err = await failure(n.send({ id: 'b', payload: body(5) }))
    expect(err.code).toBe('MW_DELIVERY_FAILED')
    expect(err.retryAfterMs).toBe(40_000)
    const before = r.got.length
    clock.advance(40_000)
    await n.send({ id: 'b', payload: body(5) })
    expect(r.got.length).toBe(before + 1)
  })

  it('a body that is not { params } is refused before sending', async () => {
    const err = await failure(createNotifier(smsSub(vendor, r.url), deps()).send({ id: 'x', payload: '{"subject":"x"}' }))
    expect(err.code).toBe('MW_DELIVERY_REFUSED')
  })
})
