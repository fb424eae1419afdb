/**
 * Dead letters through `minewatch up`: a webhook receiver refuses the first delivery for good
 * (401, a bad secret on its side); the delivery is kept with the receiver's answer, the next
 * delivery of the same subscription still goes out, and once the receiver is fixed the dead
 * letter is retried from the API with the same delivery id and body.
 */
import { describe, it, expect } from 'vitest'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startTestMinewatch, connectDevice, demoConfig, api } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'

const SITE = 'zj-huzhou-quarry'
const MONITOR = 'ZJ-DUST04' // a boundary monitor: GB 16297-1996 applies
const SECRET = 'dead-letter-secret-0123456789'

describe('dead letters through minewatch up', () => {
  it('a refused delivery becomes a dead letter with the answer, does not block the next one, and is retried from the API', async () => {
    const got: Array<{ id: string, body: string }> = []
    let refuse = true
    const server = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (c: string) => { body += c })
      req.on('end', () => {
        if (refuse) { refuse = false; res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unknown signing key"}'); return }
        got.push({ id: String(req.headers['x-minewatch-delivery']), body })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
    const mw = await startTestMinewatch({
      config: demoConfig(`alerts:\n  retry: { initialMs: 100, maxMs: 400 }\n  subscriptions:\n    - { id: ops-hook, type: webhook, url: "${url}", secret: ${SECRET}, allowHttp: true, sites: [${SITE}] }\n`),
      clock: { now: () => Date.now() + 4 * 3_600_000 } // event time ahead, so 70 minutes of readings are not in the future
    })
    try {
      const t0 = Date.now()
      const c = await connectDevice(mw.mqttPort, MONITOR)
      const readings = Array.from({ length: 70 }, (_, i) => ({ ts: t0 + i * 60_000, seq: i, tsp: 2500, pm10: 250, pm25: 125 })) // 2.5 mg/m³
      await c.publishAsync(`mines/${SITE}/dust/${MONITOR}`, JSON.stringify(readings), { qos: 1 })
      await c.endAsync()

      let dead: Array<{ id: string, subscription: string, channel: string, site: string, alertId: string, answer: string, payload: string }> = []
      await waitFor(async () => {
        dead = (await (await api(mw, '/api/v1/deliveries/dead')).json() as { items: typeof dead }).items
        return dead.length === 1
      }, 10_000, 'a dead letter')
      expect(dead[0]).toMatchObject({ subscription: 'ops-hook', channel: 'webhook', site: SITE, answer: 'HTTP 401 {"error":"unknown signing key"}' })
      expect(JSON.parse(dead[0]!.payload)).toMatchObject({ event: 'alert.firing', alert: { kind: 'dust_exceedance', site: SITE } })

      // the next delivery of the subscription is not held up by the dead letter
      const ack = await api(mw, `/api/v1/alerts/${dead[0]!.alertId}/ack`, undefined, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: '洒水车已出动' }) })
      expect(ack.status).toBe(200)
      const event = (d: { body: string }) => JSON.parse(d.body) as { event: string, alert: { id: string } }
      const ackOf = () => got.find((d) => event(d).event === 'alert.acknowledged' && event(d).alert.id === dead[0]!.alertId)
      await waitFor(() => ackOf() !== undefined, 10_000, 'the acknowledgement delivery')

      // the receiver is fixed: retry from the API, same delivery id and body
      const retry = await api(mw, `/api/v1/deliveries/dead/${dead[0]!.id}/retry`, 'demo-operator-zj-token', { method: 'POST' })
      expect(retry.status).toBe(200)
      await waitFor(() => got.some((d) => d.id === dead[0]!.id), 10_000, 'the retried delivery')
      expect(got.filter((d) => d.id === dead[0]!.id)).toEqual([{ id: dead[0]!.id, body: dead[0]!.payload }])
      expect((await (await api(mw, '/api/v1/deliveries/dead')).json() as { items: unknown[] }).items).toEqual([])
      expect((await api(mw, '/api/v1/deliveries/dead', 'demo-regulator-all-token')).status).toBe(403)
    } finally {
      await mw.cleanup()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
