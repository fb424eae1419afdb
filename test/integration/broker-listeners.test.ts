/**
 * The broker's TLS and WebSocket listeners, the port-in-use error, and that secrets
 * never reach the log.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createServer } from 'node:net'
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt'
import { loadConfig, type Config } from '../../core/config.js'
import { Registry } from '../../core/registry.js'
import { createMetrics } from '../../core/metrics.js'
import { createLogger, silentLogger, type Logger } from '../../core/log.js'
import { isMinewatchError } from '../../core/errors.js'
import { createBroker, type Broker, type TelemetryMessage } from '../../broker/index.js'
import { tempDir } from '../helpers/ports.js'

// config/demo.yaml: ZJ-DUST01 (site zj-huzhou-quarry, password demo-ZJ-DUST01-pw)
const demo = loadConfig(join(import.meta.dirname, '../../config/demo.yaml')).config
const DEVICE = 'ZJ-DUST01'
const SECRET = 'demo-ZJ-DUST01-pw'
const TOPIC = 'mines/zj-huzhou-quarry/dust/ZJ-DUST01'

const dir = tempDir('broker-tls-')
const cert = join(dir.path, 'cert.pem')
const key = join(dir.path, 'key.pem')

beforeAll(() => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' })
})
afterAll(() => dir.remove())

function build (intakes: TelemetryMessage[], broker: Partial<Config['broker']> = {}, logger: Logger = silentLogger()): Broker {
  return createBroker({
    registry: new Registry(demo),
    config: { ...demo.broker, ...broker },
    accounts: demo.accounts,
    intake: async (m) => { intakes.push(m) },
    metrics: createMetrics(),
    logger
  })
}

async function connect (url: string, opts: IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: 4, clientId: `${opts.username}-t`, reconnectPeriod: 0, connectTimeout: 5_000, ...opts })
  c.on('error', () => {})
  return await new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c))
    c.once('error', reject)
    c.once('close', () => reject(new Error('closed before CONNACK')))
  })
}

describe('broker listeners', () => {
  it('serves MQTT over TCP, TLS and WebSocket at once', async () => {
    const intakes: TelemetryMessage[] = []
    const broker = build(intakes, { tls: { port: 0, certFile: cert, keyFile: key }, ws: { port: 0, path: '/mqtt' } })
    try {
      const ports = await broker.listen({ port: 0, host: '127.0.0.1' })
      expect(ports.tlsPort).toBeGreaterThan(0)
      expect(ports.wsPort).toBeGreaterThan(0)
      const auth = { username: DEVICE, password: SECRET }
      const tcp = await connect(`mqtt://127.0.0.1:${ports.port}`, { ...auth, clientId: 'c-tcp' })
      const tls = await connect(`mqtts://127.0.0.1:${ports.tlsPort}`, { ...auth, clientId: 'c-tls', ca: readFileSync(cert), servername: 'localhost' })
      const ws = await connect(`ws://127.0.0.1:${ports.wsPort}/mqtt`, { ...auth, clientId: 'c-ws' })
      await tcp.publishAsync(TOPIC, 'tcp', { qos: 1 })
      await tls.publishAsync(TOPIC, 'tls', { qos: 1 })
      await ws.publishAsync(TOPIC, 'ws', { qos: 1 })
      expect(intakes.map((m) => m.payload.toString())).toEqual(['tcp', 'tls', 'ws'])
      // the packet-size limit applies on every listener
      ws.publish(TOPIC, Buffer.alloc(demo.broker.maxPacketBytes + 1), { qos: 1 })
      await new Promise<void>((resolve) => ws.once('close', () => resolve()))
      for (const c of [tcp, tls]) c.end(true)
    } finally {
      await broker.close()
    }
  })

  it('refuses a TLS client that does not trust the certificate', async () => {
    const broker = build([], { tls: { port: 0, certFile: cert, keyFile: key } })
    try {
      const { tlsPort } = await broker.listen({ port: 0, host: '127.0.0.1' })
      await expect(connect(`mqtts://127.0.0.1:${tlsPort}`, { username: DEVICE, password: SECRET })).rejects.toThrow(/self[- ]signed/i)
    } finally {
      await broker.close()
    }
  })

  it('rejects with MW_PORT_IN_USE when the port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    const broker = build([])
    try {
      const err = await broker.listen({ port, host: '127.0.0.1' }).catch((e: unknown) => e)
      expect(isMinewatchError(err, 'MW_PORT_IN_USE')).toBe(true)
      expect((err as Error).message).toContain(String(port))
    } finally {
      await broker.close()
      blocker.close()
    }
  })

  it('never writes a password to the log', async () => {
    const lines: string[] = []
    const sink = new Writable({ write (chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb() } })
    const broker = build([], {}, createLogger({ level: 'debug', destination: sink }))
    const WRONG = 'wrong-secret-that-must-not-be-logged'
    try {
      const { port } = await broker.listen({ port: 0, host: '127.0.0.1' })
      const url = `mqtt://127.0.0.1:${port}`
      await expect(connect(url, { username: DEVICE, password: WRONG })).rejects.toMatchObject({ code: 4 })
      const ok = await connect(url, { username: DEVICE, password: SECRET })
      await ok.publishAsync(TOPIC, SECRET, { qos: 1 }) // even a payload equal to the secret is not logged
      ok.publish('mines/other/dust/X', 'x', { qos: 1 })
      await new Promise<void>((resolve) => ok.once('close', () => resolve()))
      await expect(connect(url, { username: 'svc-ingest', password: 'wrong-' + SECRET })).rejects.toMatchObject({ code: 4 })
    } finally {
      await broker.close()
    }
    const log = lines.join('')
    expect(log).toContain('MQTT login refused')
    expect(log).toContain('publish refused')
    expect(log).toContain(DEVICE)
    expect(log).not.toContain(SECRET)
    expect(log).not.toContain(WRONG)
  })
})
