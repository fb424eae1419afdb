/**
 * Hardening of alert delivery (issue 13 finding 9): webhook signatures carry a timestamp, so a
 * captured delivery cannot be replayed later; a webhook needs a secret and plain http needs an
 * explicit opt-in; an acknowledgement note cannot inject markdown into DingTalk or WeCom messages.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { createHmac } from 'node:crypto'
import { makeConfig, startRig, fix, T0, type Rig } from '../unit/alerts/fixture.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { demoConfig } from '../helpers/minewatch.js'
import { SECOND } from '../../core/time.js'
import { verifyWebhookSignature, webhookSignature, SIGNATURE_TOLERANCE_S } from '../../alerts/notify/webhook.js'
import { escapeRobotMarkdown } from '../../alerts/notify/payload.js'

const SECRET = 'adversarial-secret-0123456789'
const KINDS = ['boundary_breach']
const rigs: Rig[] = []
const receivers: Receiver[] = []
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close()
  for (const r of receivers.splice(0)) await r.close()
})

const breach = (entity: string) => [0, 1, 2].map((i) => fix(T0 + i * 5 * SECOND, 800, entity))

describe('webhook signatures resist replay', () => {
  it('a delivery verifies now; the same captured request replayed 6 minutes later, re-stamped, or altered does not', async () => {
    const rx = await startReceiver(); receivers.push(rx)
    const rig = await startRig(makeConfig([{ id: 'hook', type: 'webhook', url: rx.url, secret: SECRET, allowHttp: true, kinds: KINDS }])); rigs.push(rig)
    await rig.engine.evaluate(breach('TRK-REPLAY'))
    await rig.engine.idle()
    expect(rx.deliveries).toHaveLength(1)
    const { headers, body } = rx.deliveries[0]!
    const header = String(headers['x-minewatch-signature'])
    const nowS = Math.floor(Date.now() / 1000)
    expect(verifyWebhookSignature(SECRET, header, body, nowS)).toBeNull()
    // the documented check, written out: HMAC-SHA256 over "<t>.<body>"
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)!
    expect(createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')).toBe(v1)

    expect(verifyWebhookSignature(SECRET, header, body, nowS + SIGNATURE_TOLERANCE_S + 60)).toMatch(/more than 300 s/)
    expect(verifyWebhookSignature(SECRET, header.replace(/^t=\d+/, `t=${nowS + 360}`), body, nowS + 360)).toBe('signature does not match')
    expect(verifyWebhookSignature(SECRET, header, body.replace('"firing"', '"resolved"'), nowS)).toBe('signature does not match')
    expect(verifyWebhookSignature('another-secret-0123456789', header, body, nowS)).toBe('signature does not match')
    expect(verifyWebhookSignature(SECRET, undefined, body, nowS)).toBe('no signature header')
    expect(verifyWebhookSignature(SECRET, `sha256=${'0'.repeat(64)}`, body, nowS)).toBe('malformed signature header')
    expect(verifyWebhookSignature(SECRET, 't=abc,v1=zz', body, nowS)).toBe('malformed signature header')
  })

  it('a signature made at another time is another signature (the timestamp is signed)', () => {
    expect(webhookSignature(SECRET, '{}', 1000)).not.toBe(webhookSignature(SECRET, '{}', 1001))
  })
})

describe('webhook configuration', () => {
  const sub = (yaml: string) => () => demoConfig(`alerts:\n  subscriptions:\n    - ${yaml}\n`)

  it('a webhook without a secret, or with a short one, is refused at start', () => {
    expect(sub('{ id: h, type: webhook, url: "https://ops.example.com/hook" }')).toThrow(/alerts\.subscriptions\[0\]\.secret: a webhook needs a secret of at least 16 characters/)
    expect(sub('{ id: h, type: webhook, url: "https://ops.example.com/hook", secret: short }')).toThrow(/at least 16 characters/)
    expect(sub(`{ id: h, type: webhook, url: "https://ops.example.com/hook", secret: ${SECRET} }`)).not.toThrow()
  })

  it('plain http is refused unless allowHttp: true', () => {
    expect(sub(`{ id: h, type: webhook, url: "http://ops.example.com/hook", secret: ${SECRET} }`)).toThrow(/alerts\.subscriptions\[0\]\.url: plain http .* set allowHttp: true/)
    expect(sub('{ id: d, type: dingtalk, url: "HTTP://oapi.dingtalk.com/robot/send?access_token=x" }')).toThrow(/plain http/)
    expect(sub(`{ id: h, type: webhook, url: "http://127.0.0.1:9/hook", secret: ${SECRET}, allowHttp: true }`)).not.toThrow()
  })
})

describe('user text in robot markdown', () => {
  const NOTE = '已处理\n### 警报已解除\n> [点此查看](http://evil.example/x) ![x](http://evil.example/i.png) <font color="info">已解除</font> **粗体** `code` | a |'

  it('escapeRobotMarkdown leaves no line break and no markup character', () => {
    const out = escapeRobotMarkdown(NOTE)
    expect(out).not.toMatch(/[\n\r#>[\]()<`*|!]/)
    expect(out).toContain('已处理 ＃＃＃ 警报已解除')
    expect(out).toContain('［点此查看］（http://evil.example/x）')
  })

  it('an acknowledgement note reaches DingTalk and WeCom as plain text, not as headings, links or colour tags', async () => {
    const rx = await startReceiver(); receivers.push(rx)
    const rig = await startRig(makeConfig([
      { id: 'ding', type: 'dingtalk', url: `${rx.url}/robot/send?access_token=t`, secret: 'SECding', allowHttp: true, kinds: KINDS },
      { id: 'wecom', type: 'wecom', url: `${rx.url}/cgi-bin/webhook/send?key=k`, allowHttp: true, kinds: KINDS }
    ])); rigs.push(rig)
    await rig.engine.evaluate(breach('TRK-NOTE'))
    await rig.engine.idle()
    const [open] = await rig.state.alerts.open()
    await rig.engine.ack(open!.id, 'zhang](http://evil.example)', NOTE)
    await rig.engine.idle()
    expect(rx.deliveries).toHaveLength(4)
    const acked = rx.deliveries.slice(2).map((d) => JSON.parse(d.body) as { markdown: { text?: string, content?: string } })
    for (const m of acked) {
      const md = m.markdown.text ?? m.markdown.content!
      expect(md).toContain('已处理 ＃＃＃ 警报已解除')
      expect(md.split('\n').filter((l) => l.startsWith('#'))).toHaveLength(1) // only minewatch's own title
      expect(md).not.toContain('](http')
      expect(md).not.toContain('<font color="info">已解除')
      expect(md).not.toContain('zhang](')
    }
  })
})
