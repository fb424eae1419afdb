/** The SMS subscription config (core/config.ts smsSchema) and the notifier's secret lookup. */
import { describe, it, expect } from 'vitest'
import { demoConfig } from '../../helpers/minewatch.js'
import { smsTarget } from '../../../alerts/notify/notifier.js'

const sub = (type: string, sms: string, extra = '') => `alerts:\n  subscriptions:\n    - { id: s, type: ${type}${extra}, sms: { ${sms} } }\n`
const BASE = 'keyId: LTAI1, secretEnv: SMS_SECRET, signName: 矿山监测, templateId: SMS_1, phones: ["13800000001"]'

describe('sms subscription config', () => {
  it('takes an Aliyun account with defaults, and a Tencent one with its SmsSdkAppId', () => {
    const a = demoConfig(sub('aliyun_sms', BASE)).config.alerts.subscriptions[0]!
    expect(a.sms).toMatchObject({ keyId: 'LTAI1', signName: '矿山监测', minIntervalS: 60, region: 'ap-guangzhou' })
    expect(smsTarget(a, { SMS_SECRET: 's' })).toMatchObject({ vendor: 'aliyun', endpoint: 'https://dysmsapi.aliyuncs.com/', secret: 's', minIntervalMs: 60_000 })
    const t = demoConfig(sub('tencent_sms', `${BASE}, sdkAppId: "1400000000"`)).config.alerts.subscriptions[0]!
    expect(smsTarget(t, { SMS_SECRET: 's' })).toMatchObject({ vendor: 'tencent', endpoint: 'https://sms.tencentcloudapi.com/', sdkAppId: '1400000000' })
  })
  it.each([
    [sub('tencent_sms', BASE), /sms\.sdkAppId: a tencent_sms subscription needs sms\.sdkAppId/],
    [sub('aliyun_sms', BASE.replace('"13800000001"', '"138-0000"')), /sms\.phones\[0\]: a mobile number/],
    [sub('aliyun_sms', BASE.replace('SMS_SECRET', '"not a var"')), /sms\.secretEnv: an environment variable name/],
    [sub('aliyun_sms', `${BASE}, endpoint: "http://127.0.0.1:1/"`), /sms\.endpoint: plain http sends the signed request in clear/],
    ['alerts:\n  subscriptions:\n    - { id: s, type: aliyun_sms }\n', /subscriptions\[0\]\.sms: an aliyun_sms or tencent_sms subscription needs sms/]
  ])('refuses %s', (yaml, want) => {
    expect(() => demoConfig(yaml)).toThrow(want)
  })
  it('http to a local receiver with allowHttp; a secret variable not set is a config error at start', () => {
    const s = demoConfig(sub('aliyun_sms', `${BASE}, endpoint: "http://127.0.0.1:1/"`, ', allowHttp: true')).config.alerts.subscriptions[0]!
    expect(() => smsTarget(s, {})).toThrow(/environment variable SMS_SECRET \(the SMS secret key\) is not set/)
  })
})
