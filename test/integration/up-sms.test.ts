/**
 * SMS through `minewatch up`: a dust exceedance at a boundary monitor goes out by an Aliyun and a
 * Tencent SMS subscription to local receivers that verify each vendor's signature
 * (test/helpers/sms-receiver.ts), with the Chinese template parameters; a subscription whose
 * secret is wrong becomes a dead letter with the vendor's signature error.
 */
import { describe, it, expect } from 'vitest'
import { startTestMinewatch, publishReadings, demoConfig, api } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import { vendorReceiver, SMS_KEY_ID, SMS_SECRET } from '../helpers/sms-receiver.js'

const SITE = 'zj-huzhou-quarry'
const MONITOR = 'ZJ-DUST04' // a boundary monitor: GB 16297-1996 applies

describe('SMS through minewatch up', () => {
  it('an alert reaches both vendors signed, in Chinese; a wrong secret is a dead letter with the vendor\'s answer', async () => {
    const aliyun = await vendorReceiver('aliyun')
    const tencent = await vendorReceiver('tencent')
    // the notifiers read their secrets from the environment when minewatch starts
    process.env.MW_TEST_UP_SMS_SECRET = SMS_SECRET
    process.env.MW_TEST_UP_SMS_WRONG = 'not-the-secret'
    const base = `keyId: ${SMS_KEY_ID}, signName: 矿山监测, phones: ["+8613800000001"], minIntervalS: 0`
    const mw = await startTestMinewatch({
      config: demoConfig([
        'alerts:',
        '  retry: { initialMs: 100, maxMs: 400 }',
        '  subscriptions:',
        `    - { id: duty-aliyun, type: aliyun_sms, allowHttp: true, sites: [${SITE}], kinds: [dust_exceedance], sms: { ${base}, endpoint: "${aliyun.url}", secretEnv: MW_TEST_UP_SMS_SECRET, templateId: SMS_123456789 } }`,
        `    - { id: duty-tencent, type: tencent_sms, allowHttp: true, sites: [${SITE}], kinds: [dust_exceedance], sms: { ${base}, endpoint: "${tencent.url}", secretEnv: MW_TEST_UP_SMS_SECRET, templateId: "1234567", sdkAppId: "1400000000" } }`,
        `    - { id: wrong-secret, type: tencent_sms, allowHttp: true, sites: [${SITE}], kinds: [dust_exceedance], sms: { ${base}, endpoint: "${tencent.url}", secretEnv: MW_TEST_UP_SMS_WRONG, templateId: "1234567", sdkAppId: "1400000000" } }`
      ].join('\n') + '\n'),
      clock: { now: () => Date.now() + 4 * 3_600_000 } // event time ahead, so 70 minutes of readings are not in the future
    })
    try {
      const t0 = Date.now()
      // 70 minutes at TSP 2.5 mg/m³ at a boundary monitor: over GB 16297-1996's 1.0 mg/m³
      await publishReadings(mw, SITE, 'dust', MONITOR, Array.from({ length: 70 }, (_, i) => ({ ts: t0 + i * 60_000, seq: i, tsp: 2500, pm10: 250, pm25: 125 })))
      await waitFor(() => aliyun.got.length > 0 && tencent.got.length > 0, 20_000, 'an SMS at each vendor')
      expect(aliyun.got[0]).toMatchObject({ phones: ['+8613800000001'], signName: '矿山监测', templateId: 'SMS_123456789' })
      const p = aliyun.got[0]!.params as Record<string, string>
      expect(p.site).toBe('湖州长兴某建筑石料矿')
      expect(p.kind).toMatch(/^扬尘/)
      expect(p.value).toMatch(/ mg\/m³$/)
      expect(p.time).toMatch(/^\d{2}-\d{2} \d{2}:\d{2}$/)
      expect(tencent.got[0]!.params).toEqual([p.site, p.kind, p.value, p.time])

      let dead: Array<{ subscription: string, channel: string, answer: string }> = []
      await waitFor(async () => {
        dead = (await (await api(mw, '/api/v1/deliveries/dead')).json() as { items: typeof dead }).items
        return dead.length > 0
      }, 20_000, 'the dead letter of the wrong secret')
      expect(dead[0]).toMatchObject({ subscription: 'wrong-secret', channel: 'tencent_sms' })
      expect(dead[0]!.answer).toMatch(/AuthFailure\.SignatureFailure/)
    } finally {
      await mw.cleanup()
      delete process.env.MW_TEST_UP_SMS_SECRET
      delete process.env.MW_TEST_UP_SMS_WRONG
      await aliyun.close()
      await tencent.close()
    }
  })
})
