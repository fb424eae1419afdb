/**
 * The Notifier contract (test/contract/notifier.ts) for each channel, against real receivers:
 * a node:http server answering as a webhook receiver, a DingTalk robot and a WeCom robot do,
 * and the embedded MQTT broker of `minewatch up` with a subscriber.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { notifierContract, type NotifierRig, type ReceiverMode } from '../contract/notifier.js'
import { createNotifier } from '../../alerts/notify/notifier.js'
import type { Subscription } from '../../alerts/notify/subscriptions.js'
import { systemClock } from '../../core/clock.js'
import { freePort, waitFor } from '../helpers/ports.js'
import { startTestMinewatch, demoConfig } from '../helpers/minewatch.js'
import mqtt from 'mqtt'

type Answer = { status: number, body: string, headers?: Record<string, string> }

const ANSWERS: Record<'webhook' | 'dingtalk' | 'wecom', Record<ReceiverMode, Answer>> = {
  webhook: {
    ok: { status: 204, body: '' },
    busy: { status: 503, body: 'maintenance', headers: { 'retry-after': '7' } },
    refuse: { status: 401, body: '{"error":"bad signature"}' }
  },
  dingtalk: {
    ok: { status: 200, body: '{"errcode":0,"errmsg":"ok"}' },
    busy: { status: 200, body: '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}' },
    refuse: { status: 200, body: '{"errcode":300001,"errmsg":"token is not exist"}' }
  },
  wecom: {
    ok: { status: 200, body: '{"errcode":0,"errmsg":"ok"}' },
    busy: { status: 200, body: '{"errcode":45009,"errmsg":"api freq out of limit"}' },
    refuse: { status: 200, body: '{"errcode":93000,"errmsg":"invalid webhook url"}' }
  }
}

const BODY = JSON.stringify({ msgtype: 'markdown', markdown: { title: '越界', text: '### 越界告警\n\n> 人员 P-1 越界 30 m' } })

async function httpRig (type: 'webhook' | 'dingtalk' | 'wecom'): Promise<NotifierRig> {
  const got: string[] = []
  let mode: ReceiverMode = 'ok'
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { body += c })
    req.on('end', () => {
      const a = ANSWERS[type][mode]
      if (mode === 'ok') got.push(body)
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const sub = (p: number): Subscription => ({
    id: type, type, url: `http://127.0.0.1:${p}/send?access_token=t`, secret: 'contract-secret-0123456789', allowHttp: true,
    sites: '*', kinds: '*', minSeverity: 'warning', evidenceEvents: false
  })
  const deps = { fetch, publish: async () => {}, wallClock: systemClock }
  return {
    notifier: createNotifier(sub(port), deps),
    unreachable: createNotifier(sub(await freePort()), deps),
    mode (m) { mode = m; return BODY },
    async received (n) { await waitFor(() => got.length >= n, 5000, `${n} deliveries`); return got },
    answers: true,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}

notifierContract('webhook', () => httpRig('webhook'))
notifierContract('dingtalk', () => httpRig('dingtalk'))
notifierContract('wecom', () => httpRig('wecom'))

notifierContract('mqtt', async () => {
  const mw = await startTestMinewatch({ config: demoConfig() })
  const got: string[] = []
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${mw.mqttPort}`, { username: 'svc-ingest', password: 'demo-svc-ingest-pw', protocolVersion: 4, reconnectPeriod: 0 })
  await sub.subscribeAsync('alerts/#', { qos: 1 })
  sub.on('message', (_t, p) => { got.push(p.toString('utf8')) })
  const event = JSON.stringify({ deliveryId: 'x', alert: { site: 'zj-huzhou-quarry', kind: 'boundary_breach', message: '越界' } })
  const s: Subscription = { id: 'mqtt', type: 'mqtt', allowHttp: false, sites: '*', kinds: '*', minSeverity: 'warning', evidenceEvents: false }
  let busy = false
  // busy: the broker refuses the publish for now (what it does while closing)
  const publish = async (topic: string, payload: string) => { if (busy) throw new Error('broker is closing'); await mw.broker.publish(topic, payload, 1) }
  return {
    notifier: createNotifier(s, { fetch, publish, wallClock: systemClock }),
    // a broker that is gone: its publish fails
    unreachable: createNotifier(s, { fetch, publish: async () => { throw new Error('broker closed') }, wallClock: systemClock }),
    // MQTT has no receiver that can refuse: what it refuses for good is a body it can never route
    mode (m) { busy = m === 'busy'; return m === 'refuse' ? JSON.stringify({ alert: {} }) : event },
    async received (n) { await waitFor(() => got.length >= n, 5000, `${n} messages`); return got },
    answers: false,
    async close () { await sub.endAsync(); await mw.cleanup() }
  }
})
