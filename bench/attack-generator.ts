/**
 * The attacker of bench/attack.bench.ts, in its own process so its sockets never share an event
 * loop with minewatch or with the bench's legitimate probes:
 *   node --import tsx bench/attack-generator.ts logins|tokens PORT PER_SECOND MS ADDRESS_BLOCK
 * sends PER_SECOND bad MQTT logins (half to a real username, half to unknown ones) or bad API
 * tokens for MS milliseconds, from addresses 127.BLOCK+i.x.y, then prints `{"sent":n}`.
 */
import { connect as tcpConnect } from 'node:net'
import { request } from 'node:http'
import mqttPacket from 'mqtt-packet'

const [kind, portText, perSText, msText, blockText] = process.argv.slice(2)
const port = Number(portText)
const perS = Number(perSText)
const until = Date.now() + Number(msText)
const block = Number(blockText ?? 1)

function badLogin (i: number): void {
  const s = tcpConnect({ port, host: '127.0.0.1', localAddress: `127.${block + (i % 50)}.${(i >> 8) & 0xff}.${2 + (i % 200)}` })
  s.on('error', () => {})
  s.once('connect', () => {
    s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: `atk-${block}-${i}`, username: i % 2 ? 'ZJ-DUST01' : `NOBODY-${i}`, password: Buffer.from(`guess-${i}`) }))
  })
  s.once('data', () => s.destroy())
  setTimeout(() => s.destroy(), 5000).unref()
}

function badToken (i: number): void {
  const req = request({ host: '127.0.0.1', port, path: '/api/v1/sites', localAddress: `127.${block + (i % 50)}.${(i >> 8) & 0xff}.${2 + (i % 100)}`, agent: false, headers: { authorization: `Bearer guess-${block}-${i}-xxxxxxxxxxxxxxxxxxxx` } }, (res) => res.resume())
  req.on('error', () => {})
  req.end()
}

const one = kind === 'logins' ? badLogin : kind === 'tokens' ? badToken : undefined
if (!one) throw new Error(`usage: attack-generator.ts logins|tokens PORT PER_SECOND MS BLOCK (got ${kind})`)
let sent = 0
const start = Date.now()
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    if (Date.now() >= until) { clearInterval(tick); resolve(); return }
    // catch up to the schedule, so a late tick does not lower the rate
    const due = Math.floor(((Date.now() - start) / 1000) * perS)
    while (sent < due) one(sent++)
  }, 10)
})
process.stdout.write(JSON.stringify({ sent }) + '\n')
setTimeout(() => process.exit(0), 500).unref()
