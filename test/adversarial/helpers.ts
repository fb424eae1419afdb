/**
 * Tools of an attacker for the adversarial suite: a production-like config (scrypt hashes,
 * demo: false), raw MQTT over TCP from any loopback address (127.0.0.0/8 all reach the
 * listener, so "many addresses" are real peer addresses), HTTP from a chosen address, and an
 * event-loop stall detector for the in-process minewatch.
 */
import { connect, type Socket } from 'node:net'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { parseConfig, type LoadedConfig } from '../../core/config.js'
import { hashSecret } from '../../core/secrets.js'
import { DEMO_TEXT } from '../helpers/minewatch.js'

/** The hashed demo text, cached in the temp dir by a digest of the demo config (90 scrypt hashes take seconds). */
export function hashedText (): string {
  const file = join(tmpdir(), `minewatch-demo-hashed-${createHash('sha256').update(DEMO_TEXT).digest('hex').slice(0, 16)}.yaml`)
  if (existsSync(file)) return readFileSync(file, 'utf8')
  const text = DEMO_TEXT
    .replace(/^demo: true$/m, 'demo: false')
    .replace(/^(\s+)password: (\S+)$/gm, (_m, sp: string, pw: string) => `${sp}${sp.length === 8 ? 'secretHash' : 'passwordHash'}: '${hashSecret(pw)}'`)
    .replace(/^(\s+)token: (\S+)$/gm, (_m, sp: string, t: string) => `${sp}tokenHash: '${hashSecret(t)}'`)
    .replace(/(hj212: \{[^}]*?)\bpw: "([^"]*)"/g, (_m, head: string, pw: string) => `${head}pwHash: '${hashSecret(pw)}'`)
  writeFileSync(`${file}.${process.pid}`, text)
  renameSync(`${file}.${process.pid}`, file)
  return text
}

/**
 * The demo sites with every secret as a scrypt hash (`secretHash`, `passwordHash`, `tokenHash`)
 * and `demo: false`: the production shape. The plain secrets stay those of the demo config.
 */
export function hashedConfig (extraYaml = ''): LoadedConfig {
  return parseConfig(`${hashedText()}\n${extraYaml}\n`, 'config/demo.yaml(hashed)+test', {})
}

export interface RawMqtt {
  socket: Socket
  /** Next packet from the broker, or null when the connection closed first. */
  next(): Promise<Packet | null>
  send(p: Record<string, unknown>): void
  /** Resolves when the connection is closed. */
  closed: Promise<void>
  end(): void
}

/** A raw MQTT 3.1.1 connection from `localAddress` (e.g. 127.0.0.7). */
export async function rawMqtt (port: number, localAddress = '127.0.0.1'): Promise<RawMqtt> {
  const socket = connect({ port, host: '127.0.0.1', localAddress })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  const queue: Packet[] = []
  const waiting: Array<(p: Packet | null) => void> = []
  let ended = false
  parser.on('packet', (p) => { const w = waiting.shift(); if (w) w(p); else queue.push(p) })
  socket.on('data', (b) => parser.parse(b))
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    ended = true
    for (const w of waiting.splice(0)) w(null)
    resolve()
  }))
  return {
    socket,
    closed,
    next: () => new Promise((resolve) => {
      const p = queue.shift()
      if (p) resolve(p)
      else if (ended) resolve(null)
      else waiting.push(resolve)
    }),
    send: (p) => { socket.write(mqttPacket.generate(p as unknown as Packet)) },
    end: () => { socket.destroy() }
  }
}

/** CONNECT then the broker's answer: the CONNACK return code, or 'closed' when it hung up instead. */
export async function mqttLogin (port: number, username: string, password: string, opts: { localAddress?: string, clientId?: string, clean?: boolean, keep?: boolean } = {}): Promise<{ code: number | 'closed', conn: RawMqtt }> {
  const conn = await rawMqtt(port, opts.localAddress)
  conn.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: opts.clean ?? true, keepalive: 60, clientId: opts.clientId ?? `adv-${Math.random().toString(16).slice(2, 10)}`, username, password: Buffer.from(password) })
  const p = await conn.next()
  const code = p && p.cmd === 'connack' ? p.returnCode ?? 0 : 'closed'
  if (!opts.keep) conn.end()
  return { code, conn }
}

/** GET from `localAddress` with an optional bearer token; resolves with the status. */
export async function httpGet (port: number, path: string, token?: string, localAddress = '127.0.0.1'): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress, headers: token ? { authorization: `Bearer ${token}` } : {}, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Watches this process's event loop (minewatch runs in it): `stop()` returns the longest stall seen, ms. */
export function watchEventLoop (): { stop(): number } {
  const h = monitorEventLoopDelay({ resolution: 10 })
  h.enable()
  return { stop () { h.disable(); return h.max / 1e6 } }
}

/** 127.0.0.{from}…127.0.0.{from+n-1}: distinct peer addresses on loopback. */
export function addresses (n: number, from = 2): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.0.${from + i}`)
}
