/**
 * One HJ 212-2017 uplink target, site side: the site's dust and water readings (CN 2011) and the
 * minute, hourly and daily data of both (2051, 2061, 2031; uplink/hj212/intervals.ts) go to an
 * environmental platform over TCP as frames built with the hj212/ codec, through a durable queue
 * (store/segments, the spool's format and fsync policy). Each device has its own TCP connection
 * (a platform binds a connection to one MN) and its own queue. Every frame asks for a 9014 (Flag
 * bit A) with its own QN; a window of frames leaves the queue only once every one of them is
 * answered, so frames are resent after a reconnect (or a crash) in order per device. The
 * platform's history requests (2051/2061/2031 with BeginTime/EndTime) are answered 9011, the
 * data read from the store, then 9012. docs/uplink.md, "HJ 212 uplink".
 */
import { connect, type Socket } from 'node:net'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Clock } from '../../core/clock.js'
import type { Config } from '../../core/config.js'
import type { Logger } from '../../core/log.js'
import type { Reading } from '../../core/readings.js'
import { isIntervalReading } from '../../core/readings.js'
import type { Device } from '../../core/sites.js'
import type { TelemetryStore } from '../../store/telemetry.js'
import { SegmentQueue } from '../../store/segments/queue.js'
import { FLAG_ACK, FLAG_V2017, cpValue, decodePacket, decodeSegment, encodeFrame, type CpGroup, type Frame } from '../../hj212/frame.js'
import { FrameSplitter } from '../../hj212/stream.js'
import { formatDataTime, formatQn, parseDataTime } from '../../hj212/datatime.js'
import { realtimeCp } from '../../hj212/realtime.js'
import { ST_REPLY } from '../../hj212/replies.js'
import type { UplinkMetrics } from '../metrics.js'
import { TargetState, type TargetStatus } from '../target-state.js'
import { INTERVAL_CNS, intervalCps, intervalStart, type IntervalCn } from './intervals.js'

export type Hj212Target = Config['uplink']['hj212'][number]

/** A queued frame: the device, its CN and CP; header, QN and envelope are added when it is sent. */
export interface Hj212Item { d: string, cn: string, cp: CpGroup[] }

/** How often closed intervals are looked for, ms. */
const INTERVAL_TICK_MS = 15_000
/** A connection attempt gives up after this, ms. */
const CONNECT_TIMEOUT_MS = 10_000
/** Intervals answered per history request at most (a week of minutes). */
const HISTORY_MAX_FRAMES = 7 * 1440
const DATA_OF: Readonly<Record<IntervalCn, 'minute' | 'hour' | 'day'>> = { 2051: 'minute', 2061: 'hour', 2031: 'day' }

export interface Hj212ForwarderOptions {
  target: Hj212Target
  /** Directory of this target's queues (one per device, in a folder named by its id). */
  dir: string
  /** File keeping the next interval start to send per CN. */
  watermarkFile: string
  /** The configured devices (by id) of the target's site, with their PW upstream. */
  devices: ReadonlyMap<string, { device: Device, mn: string, pw: string, st: string }>
  store: Pick<TelemetryStore, 'series'>
  /** The site's totaliser rollover, m³ (core/sites.ts water.rolloverM3): water volumes step through it. */
  rolloverM3: number
  clock: Clock
  logger: Logger
  metrics: UplinkMetrics
}

interface Waiter { resolve: () => void }

type DeviceEntry = Hj212ForwarderOptions['devices'] extends ReadonlyMap<string, infer V> ? V : never

export class Hj212Forwarder {
  private readonly channels = new Map<string, DeviceChannel>()
  private readonly state: TargetState<Hj212Item>
  private closed = false
  private intervalTimer: NodeJS.Timeout | null = null
  private intervalChain: Promise<void> = Promise.resolve()
  private watermarks: Partial<Record<IntervalCn, number>> = {}
  /** Shared by the target's connections: a QN is unique across its frames. */
  private lastQn = 0n

  constructor (private readonly o: Hj212ForwarderOptions) {
    const t = o.target
    const queues: SegmentQueue<Hj212Item>[] = []
    for (const [id, d] of o.devices) {
      const queue = SegmentQueue.create<Hj212Item>({ dir: join(o.dir, id), segmentBytes: t.queue.segmentBytes, fsync: t.queue.fsync, fsyncIntervalMs: t.queue.fsyncIntervalMs, logger: o.logger, label: `uplink queue ${t.name}/${id}` })
      queues.push(queue)
      this.channels.set(id, new DeviceChannel(this, id, d, queue))
    }
    this.state = new TargetState({ name: t.name, url: `hj212://${t.host}:${t.port}`, site: t.site, protocol: 'hj212' }, queues, t.queue, o)
    this.watermarks = this.loadWatermarks()
  }

  get name (): string { return this.o.target.name }
  get target (): Hj212Target { return this.o.target }
  get logger (): Logger { return this.o.logger }
  get targetState (): TargetState<Hj212Item> { return this.state }
  /** The interval data of one of the target's devices (dust or water), [from, to). */
  intervalCps (entry: DeviceEntry, cn: IntervalCn, from: number, to: number): Promise<CpGroup[][]> {
    return intervalCps(this.o.store, this.o.target.site, entry.device, cn, from, to, this.o.rolloverM3)
  }

  start (): void {
    for (const c of this.channels.values()) c.start()
    const { data } = this.o.target
    if (data.minute || data.hour || data.day) {
      this.intervalTimer = setInterval(() => { this.intervalChain = this.intervalChain.then(() => this.queueIntervals()) }, INTERVAL_TICK_MS)
      this.intervalTimer.unref()
      this.intervalChain = this.intervalChain.then(() => this.queueIntervals())
    }
  }

  /** Queues real-time frames of the readings this target forwards. Called after they are stored. */
  offerReadings (readings: readonly Reading[]): void {
    if (!this.o.target.data.realtime || this.closed) return
    const byDevice = new Map<string, Hj212Item[]>()
    for (const r of readings) {
      if (r.site !== this.o.target.site || isIntervalReading(r)) continue
      const d = this.o.devices.get(r.device)
      if (d === undefined) continue
      let items = byDevice.get(r.device)
      if (!items) byDevice.set(r.device, items = [])
      items.push({ d: r.device, cn: '2011', cp: realtimeCp(d.device, r.values, dataTime(r.ts)) })
    }
    for (const [id, items] of byDevice) void this.channels.get(id)!.enqueue(items)
  }

  /** A QN unique per frame: the current time as YYYYMMDDhhmmsszzz, moved on by 1 ms past the last one. */
  nextQn (): string {
    let qn = BigInt(formatQn(this.o.clock.now()))
    if (qn <= this.lastQn) qn = this.lastQn + 1n
    this.lastQn = qn
    return qn.toString()
  }

  // ---- interval data

  private loadWatermarks (): Partial<Record<IntervalCn, number>> {
    if (!existsSync(this.o.watermarkFile)) return {}
    try { return JSON.parse(readFileSync(this.o.watermarkFile, 'utf8')) as Partial<Record<IntervalCn, number>> } catch { return {} }
  }

  private saveWatermarks (): void {
    const tmp = this.o.watermarkFile + '.tmp'
    writeFileSync(tmp, JSON.stringify(this.watermarks))
    renameSync(tmp, this.o.watermarkFile)
  }

  /** Queues the intervals that ended at least intervalGraceS ago and were not queued yet (the first start begins with the current ones). */
  private async queueIntervals (): Promise<void> {
    if (this.closed) return
    const settled = this.o.clock.now() - this.o.target.intervalGraceS * 1000
    try {
      for (const cn of INTERVAL_CNS) {
        if (!this.o.target.data[DATA_OF[cn]]) continue
        const end = intervalStart(cn, settled) // intervals starting before this are over and settled
        const next = this.watermarks[cn] ?? end
        if (next >= end) { this.watermarks[cn] = next; continue }
        for (const [id, c] of this.channels) {
          const cps = await this.intervalCps(c.entry, cn, next, end)
          if (cps.length > 0) await c.enqueue(cps.map((cp) => ({ d: id, cn, cp })))
        }
        this.watermarks[cn] = end
      }
      this.saveWatermarks()
    } catch (err) {
      this.o.logger.error({ err, target: this.name }, 'uplink hj212: interval data not queued; retried at the next tick')
    }
  }

  /** Connected while every device's connection is up. */
  updateConnected (): void {
    this.state.setConnected([...this.channels.values()].every((c) => c.connected))
  }

  status (): TargetStatus {
    return this.state.status()
  }

  /** Stops sending (what is not acknowledged stays queued for the next start) and closes the queues. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.intervalTimer !== null) clearInterval(this.intervalTimer)
    await this.intervalChain
    await Promise.all([...this.channels.values()].map((c) => c.close()))
  }
}

/** One device's connection to the platform and its queue. */
class DeviceChannel {
  private closed = false
  private socket: Socket | null = null
  private wakeUp: (() => void) | null = null
  private sleeping: { timer: NodeJS.Timeout, resolve: () => void } | null = null
  private running: Promise<void> | null = null
  private readonly pending = new Map<string, Waiter>()
  connected = false

  constructor (private readonly f: Hj212Forwarder, readonly id: string, readonly entry: DeviceEntry, private readonly queue: SegmentQueue<Hj212Item>) {}

  start (): void { this.running = this.run() }

  enqueue (items: Hj212Item[]): Promise<void> {
    if (this.closed) return Promise.resolve()
    const durable = this.f.targetState.append(items, this.queue)
    this.wakeUp?.()
    return durable
  }

  private sleep (ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.sleeping = null; resolve() }, ms)
      this.sleeping = { timer, resolve }
    })
  }

  private async run (): Promise<void> {
    const t = this.f.target
    const log = { target: t.name, device: this.id }
    while (!this.closed) {
      let socket: Socket
      try {
        socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect({ host: t.host, port: t.port, noDelay: true, timeout: CONNECT_TIMEOUT_MS }, () => { s.off('error', reject); s.setTimeout(0); resolve(s) })
          s.once('error', reject)
          s.once('timeout', () => { s.destroy(); reject(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`)) })
        })
      } catch (err) {
        this.f.targetState.s.lastError = `${this.id}: ${(err as Error).message}`
        await this.sleep(t.reconnectMs)
        continue
      }
      if (this.closed) { socket.destroy(); break }
      this.socket = socket
      this.connected = true
      this.f.updateConnected()
      this.f.logger.info({ ...log, backlog: this.queue.readings }, 'uplink hj212: connected')
      try {
        await this.session(socket)
      } catch (err) {
        if (!this.closed) {
          this.f.targetState.s.lastError = `${this.id}: ${(err as Error).message}`
          this.f.logger.warn({ ...log, err: (err as Error).message, backlog: this.queue.readings }, 'uplink hj212: connection lost; queueing')
        }
      }
      socket.destroy()
      this.socket = null
      this.connected = false
      this.f.updateConnected()
      for (const w of this.pending.values()) w.resolve() // their window is resent as a whole
      this.pending.clear()
      if (!this.closed) await this.sleep(t.reconnectMs)
    }
  }

  private frame (cn: string, cp: CpGroup[]): Frame {
    return { qn: this.f.nextQn(), st: this.entry.st, cn, pw: this.entry.pw, mn: this.entry.mn, flag: FLAG_V2017 | FLAG_ACK, cp }
  }

  /** Sends windows of queued frames until the connection fails (throws) or the channel closes. */
  private async session (socket: Socket): Promise<void> {
    const t = this.f.target
    const splitter = new FrameSplitter()
    let failure: Error | null = null
    const lost = new Promise<never>((_resolve, reject) => {
      const fail = (err: Error) => { failure ??= err; this.wakeUp?.(); reject(failure) }
      socket.on('close', () => fail(new Error('connection closed by the platform')))
      socket.on('error', (err) => fail(err))
    })
    lost.catch(() => {})
    socket.on('data', (chunk: Buffer) => {
      for (const item of splitter.push(chunk)) if (item.kind === 'frame') this.onFrame(item.raw, socket)
    })
    while (!this.closed) {
      if (failure !== null) throw failure
      if (this.queue.isEmpty()) {
        await new Promise<void>((resolve) => { this.wakeUp = resolve })
        this.wakeUp = null
        continue
      }
      const batch = this.queue.peek(t.windowFrames)
      const acks: Promise<void>[] = []
      let bytes = 0
      for (const item of batch.readings) {
        const frame = this.frame(item.cn, item.cp)
        acks.push(new Promise<void>((resolve) => this.pending.set(frame.qn!, { resolve })))
        const raw = encodeFrame(frame)
        bytes += raw.length
        socket.write(raw)
      }
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no 9014 within ${t.ackTimeoutMs} ms`)), t.ackTimeoutMs) })
      try {
        await Promise.race([Promise.all(acks), lost, timeout])
      } catch (err) {
        this.queue.unpeek()
        throw err
      } finally {
        clearTimeout(timer)
      }
      if (failure !== null || this.closed) { this.queue.unpeek(); if (failure !== null) throw failure; break }
      this.queue.ack(batch.records)
      this.f.targetState.acked(batch.readings.length, bytes)
    }
  }

  private onFrame (raw: Buffer, socket: Socket): void {
    const log = { target: this.f.name, device: this.id }
    const env = decodePacket(raw)
    const seg = env.ok ? decodeSegment(env.packet.segment.toString('utf8')) : env
    if (!seg.ok) { this.f.logger.warn({ ...log, error: seg.error }, 'uplink hj212: unreadable frame from the platform'); return }
    const f = seg.frame
    if (f.cn === '9014') {
      const w = f.qn === undefined ? undefined : this.pending.get(f.qn)
      if (w) { this.pending.delete(f.qn!); w.resolve() }
      return
    }
    if (f.cn === '2051' || f.cn === '2061' || f.cn === '2031' || f.cn === '2011') {
      void this.answerHistory(f, f.cn, socket).catch((err: unknown) => this.f.logger.error({ ...log, err }, 'uplink hj212: history request not answered'))
      return
    }
    // any other command: refused with QnRtn 2 (request refused), as the standard's 9011 allows
    this.reply(socket, f, '9011', [[['QnRtn', '2']]])
    this.f.logger.info({ ...log, cn: f.cn }, 'uplink hj212: platform command not supported; refused (QnRtn 2)')
  }

  private reply (socket: Socket, to: Frame, cn: string, cp: CpGroup[]): void {
    if (!socket.destroyed) socket.write(encodeFrame({ qn: to.qn, st: ST_REPLY, cn, pw: this.entry.pw, mn: this.entry.mn, flag: FLAG_V2017, cp }))
  }

  /**
   * A history request (HJ 212-2017 §6.6, 附录 C): 9011 QnRtn 1 (or 4: another MN; 3: PW wrong; 2:
   * no valid BeginTime/EndTime), the interval data of [BeginTime, EndTime] from the store (each
   * frame awaiting its 9014), then 9012 ExeRtn 1, or 100 when there is none. A 2011 request (no
   * interval) is answered ExeRtn 100: real-time history is not rebuilt.
   */
  private async answerHistory (f: Frame, cn: '2011' | IntervalCn, socket: Socket): Promise<void> {
    if (f.mn !== this.entry.mn) { this.reply(socket, f, '9011', [[['QnRtn', '4']]]); return }
    if (f.pw !== this.entry.pw) { this.reply(socket, f, '9011', [[['QnRtn', '3']]]); return }
    const begin = parseDataTime(cpValue(f, 'BeginTime') ?? '')
    const end = parseDataTime(cpValue(f, 'EndTime') ?? '')
    if (Number.isNaN(begin) || Number.isNaN(end) || end < begin) { this.reply(socket, f, '9011', [[['QnRtn', '2']]]); return }
    this.reply(socket, f, '9011', [[['QnRtn', '1']]])
    const t = this.f.target
    const cps = cn !== '2011' ? (await this.f.intervalCps(this.entry, cn, begin, end + 1)).slice(0, HISTORY_MAX_FRAMES) : []
    // sent at once (not queued): the answer belongs to this request on this connection; the platform asks again if it is cut
    for (let i = 0; i < cps.length && !socket.destroyed; i += t.windowFrames) {
      const acks = cps.slice(i, i + t.windowFrames).map((cp) => {
        const frame = this.frame(cn, cp)
        const acked = new Promise<void>((resolve) => this.pending.set(frame.qn!, { resolve }))
        socket.write(encodeFrame(frame))
        return acked
      })
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, t.ackTimeoutMs) })
      await Promise.race([Promise.all(acks), timeout])
      clearTimeout(timer)
    }
    this.f.logger.info({ target: t.name, device: this.id, cn, from: formatDataTime(begin), to: formatDataTime(end), frames: cps.length }, 'uplink hj212: history request answered')
    this.reply(socket, f, '9012', [[['ExeRtn', cps.length > 0 ? '1' : '100']]])
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.sleeping) { clearTimeout(this.sleeping.timer); this.sleeping.resolve() }
    this.wakeUp?.()
    this.socket?.destroy()
    await this.running
    await this.queue.close()
  }
}

/** DataTime of a reading: YYYYMMDDhhmmss, with milliseconds (accepted by minewatch's gateway) when the time has them, so the platform keeps the exact time. */
function dataTime (ts: number): string {
  return ts % 1000 === 0 ? formatDataTime(ts) : formatQn(ts)
}
