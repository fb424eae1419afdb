/**
 * Issue 13, event-loop health under attack: what a guessing flood costs minewatch. A connection
 * from an MQTT address that the login throttle blocked, and from which nobody ever logged in, is
 * closed as soon as it is accepted (no aedes client, no parser, no CONNACK); refused logins and
 * refused API tokens are logged one line per address per interval with a count, not a line each.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { connect } from 'node:net'
import { Writable } from 'node:stream'
import { startMinewatch, type Minewatch } from '../../bin/up.js'
import { createLogger } from '../../core/log.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { hashedConfig, httpGet, mqttLogin } from './helpers.js'
import { CONNECT_TIMEOUT_MS, PENDING_MAX, PENDING_PER_ADDRESS } from '../../broker/pending-connects.js'

interface Line { msg: string, address?: string, reason?: string, refusals?: number, reasons?: Record<string, number>, aggregated?: boolean, username?: string }

const lines: Line[] = []
const data = tempDir('adversarial-refusals-')
let mw: Minewatch

beforeAll(async () => {
  const destination = new Writable({ write (chunk: Buffer, _e, cb) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Line); cb() } })
  mw = await startMinewatch({ config: hashedConfig('broker:\n  host: 127.0.0.1\n'), dataDir: data.path, mqttPort: 0, httpPort: 0, host: '127.0.0.1', logger: createLogger({ level: 'info', destination }) })
})
afterAll(async () => {
  await mw?.close()
  data.remove()
})

async function counter (name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await mw.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)
  const v = (metric?.values ?? []).find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l))
  return v?.value ?? 0
}

/** Every refusal logged for `address`: 1 for each first line of an interval, plus the count of each summary line. */
function logged (message: string, address: string): number {
  return linesOf(message, address).reduce((n, l) => n + (l.aggregated ? l.refusals! : 1), 0)
}

function linesOf (message: string, address: string): Line[] {
  return lines.filter((l) => l.address === address && l.msg.startsWith(message))
}

/** At most two lines per address per interval (10 s): the first refusal, then the summary. The attempts took `ms`, so they spanned at most ms / 10 s + 1 intervals. */
function maxLines (ms: number): number {
  return 2 * (Math.floor(ms / 10_000) + 2)
}

describe('a blocked MQTT address is refused at accept time', () => {
  it('no MQTT is read from it: the connection closes without CONNACK, even before anything is sent', async () => {
    const attacker = '127.0.5.1'
    // failedLogins.max (5) wrong secrets block the address
    for (let i = 0; i < 5; i++) expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST01', `guess-${i}`, { localAddress: attacker })).code).toBe(4)
    const refusedBefore = await counter('minewatch_connections_refused_total', { listener: 'mqtt', cap: 'blocked' })
    const blockedBefore = await counter('minewatch_broker_auth_failures_total', { reason: 'blocked' })
    // even the right secret from there: no username ever logged in from this address
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST01', 'demo-ZJ-DUST01-pw', { localAddress: attacker })).code).toBe('closed')
    // a connection that sends nothing is closed by the server at once (not at some timeout)
    const silent = connect({ port: mw.mqttPort, host: '127.0.0.1', localAddress: attacker })
    silent.on('error', () => {})
    let received = 0
    silent.on('data', (d) => { received += d.length })
    await new Promise<void>((resolve) => silent.once('close', () => resolve()))
    expect(received).toBe(0)
    expect(await counter('minewatch_connections_refused_total', { listener: 'mqtt', cap: 'blocked' })).toBe(refusedBefore + 2)
    // it never reached the login hooks
    expect(await counter('minewatch_broker_auth_failures_total', { reason: 'blocked' })).toBe(blockedBefore)
    // other addresses are not affected
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST01', 'demo-ZJ-DUST01-pw', { localAddress: '127.0.5.2' })).code).toBe(0)
  })

  it('a blocked address from which a device logged in still reaches the login check (its correct secret is admitted)', async () => {
    const nat = '127.0.5.10'
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST02', 'demo-ZJ-DUST02-pw', { localAddress: nat })).code).toBe(0)
    for (let i = 0; i < 5; i++) await mqttLogin(mw.mqttPort, 'ZJ-DUST03', `misconfigured-${i}`, { localAddress: nat })
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST03', 'another-guess', { localAddress: nat })).code).toBe(5) // blocked, answered with CONNACK
    expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST02', 'demo-ZJ-DUST02-pw', { localAddress: nat })).code).toBe(0)
  })
})

describe('refusal logs are aggregated per address', () => {
  it('40 refused logins from one address write a line, then one line counting the rest', async () => {
    const attacker = '127.0.5.20'
    const results = []
    const t0 = performance.now()
    for (let i = 0; i < 40; i++) results.push((await mqttLogin(mw.mqttPort, `NOBODY-${i}`, `guess-${i}`, { localAddress: attacker })).code)
    const ms = performance.now() - t0
    // 5 checked and refused (CONNACK 4), then blocked: closed at accept
    expect(results.slice(0, 5)).toEqual([4, 4, 4, 4, 4])
    expect(results.slice(5).every((c) => c === 'closed')).toBe(true)
    expect(linesOf('MQTT login refused', attacker)[0]).toMatchObject({ msg: 'MQTT login refused', reason: 'unknown_user', username: 'NOBODY-0' })
    // the summary is written when the interval (10 s) ends
    await waitFor(() => logged('MQTT login refused', attacker) === 40, 30_000, 'the summary line')
    expect(linesOf('MQTT login refused', attacker).length).toBeLessThanOrEqual(maxLines(ms))
    const reasons: Record<string, number> = {}
    for (const l of linesOf('MQTT login refused', attacker)) {
      if (l.aggregated) for (const [k, n] of Object.entries(l.reasons!)) reasons[k] = (reasons[k] ?? 0) + n
      else reasons[l.reason!] = (reasons[l.reason!] ?? 0) + 1
    }
    expect(reasons).toEqual({ unknown_user: 5, blocked_at_accept: 35 })
  })

  it('20 bad API tokens from one address write a line, then one line counting the rest', async () => {
    const attacker = '127.0.5.30'
    const statuses: number[] = []
    const t0 = performance.now()
    for (let i = 0; i < 20; i++) statuses.push((await httpGet(mw.httpPort, '/api/v1/sites', `guess-${i}-xxxxxxxxxxxxxxxx`, attacker)).status)
    const ms = performance.now() - t0
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true)
    await waitFor(() => logged('API request refused', attacker) === 20, 30_000, 'the summary line')
    expect(linesOf('API request refused', attacker).length).toBeLessThanOrEqual(maxLines(ms))
    // no per-request line for the refused requests
    expect(lines.filter((l) => l.msg === 'request completed' && (l as { request?: { remoteAddress?: string } }).request?.remoteAddress === attacker)).toHaveLength(0)
  })
})

describe('connections without CONNACK have a budget (pre-CONNECT floods)', () => {
  /** Opens a TCP connection from `localAddress` that sends nothing; resolves once connected. */
  async function silent (localAddress: string): Promise<{ closed: Promise<number>, end(): void }> {
    const s = connect({ port: mw.mqttPort, host: '127.0.0.1', localAddress })
    s.on('error', () => {})
    let received = 0
    s.on('data', (d) => { received += d.length })
    const closed = new Promise<number>((resolve) => s.once('close', () => resolve(received)))
    await new Promise<void>((resolve) => { s.once('connect', () => resolve()); s.once('close', () => resolve()) })
    return { closed, end: () => s.destroy() }
  }

  it(`one address holds at most ${PENDING_PER_ADDRESS}; past that its new connections are closed unread, others log in; a slot comes back on close`, async () => {
    const holder = '127.0.6.1'
    const before = await counter('minewatch_connections_refused_total', { listener: 'mqtt', cap: 'pending' })
    const held = []
    for (let i = 0; i < PENDING_PER_ADDRESS; i++) held.push(await silent(holder))
    // every slot is taken once the broker has accepted them all
    const over = await mqttLogin(mw.mqttPort, 'ZJ-DUST05', 'demo-ZJ-DUST05-pw', { localAddress: holder })
    const refusedAt = await counter('minewatch_connections_refused_total', { listener: 'mqtt', cap: 'pending' })
    try {
      expect(over.code).toBe('closed')
      expect(refusedAt).toBe(before + 1)
      expect((await mqttLogin(mw.mqttPort, 'ZJ-DUST05', 'demo-ZJ-DUST05-pw', { localAddress: '127.0.6.2' })).code).toBe(0)
    } finally {
      held[0]!.end()
    }
    await waitFor(async () => (await mqttLogin(mw.mqttPort, 'ZJ-DUST05', 'demo-ZJ-DUST05-pw', { localAddress: holder })).code === 0, 10_000, 'a freed pre-CONNACK slot')
    for (const h of held) h.end()
  })

  it(`all addresses together hold at most ${PENDING_MAX}; a silent connection is closed at the CONNECT deadline (${CONNECT_TIMEOUT_MS / 1000} s)`, async () => {
    const held = []
    for (let a = 0; a < PENDING_MAX / PENDING_PER_ADDRESS; a++) {
      for (let i = 0; i < PENDING_PER_ADDRESS; i++) held.push(await silent(`127.0.7.${a + 1}`))
    }
    try {
      const over = await silent('127.0.7.200')
      expect(await over.closed).toBe(0) // closed by the server, nothing written
      // the silent ones are closed by the broker at the CONNECT deadline (CONNECT_TIMEOUT_MS), and then new logins pass again
      expect(await held[0]!.closed).toBe(0)
      await waitFor(async () => (await mqttLogin(mw.mqttPort, 'ZJ-DUST05', 'demo-ZJ-DUST05-pw', { localAddress: '127.0.7.201' })).code === 0, 30_000, 'the budget freed')
    } finally {
      for (const h of held) h.end()
    }
  }, 60_000)
})
