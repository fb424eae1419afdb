/**
 * One device's TCP connection: frames in, readings to ingest, 9014 acks back once durable,
 * commands out. Each frame goes through named steps, top to bottom:
 *   cut (FrameSplitter) → envelope → segment → identify (MN) → check (length, CRC under the
 *   device's tolerance) → authenticate (PW) → assemble (PNUM/PNO) → dispatch (CN).
 * A bad frame becomes a reject and never stops the frames after it; a connection sending only
 * bad frames is closed after maxBadFrames.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Duplex } from 'node:stream'
import type { Clock } from '../core/clock.js'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/log.js'
import type { DeviceEntry } from '../core/registry.js'
import type { Hj212Device } from '../core/sites.js'
import type { SecretVerifier, Verdict } from '../core/secrets.js'
import type { Ingest } from '../ingest/index.js'
import { telemetryTopic } from '../core/topics.js'
import { FrameSplitter, type StreamItem } from './stream.js'
import { checkPacket, crcPlausible, decodePacket, decodeSegment, encodeFrame, FLAG_ACK, cpValue, type Frame, type Packet } from './frame.js'
import type { FrameError, Hj212Reason } from './errors.js'
import { SplitAssembler } from './split.js'
import { isDataCommand, mapDataFrame } from './mapping.js'
import { commandFrame, dataAck, EXE_RTN, QN_RTN, type DeviceCommand } from './replies.js'
import type { Hj212Metrics } from './metrics.js'
import { formatQn } from './datatime.js'

export type Hj212Config = Config['hj212']

/** What a connection needs from the gateway. */
export interface ConnectionDeps {
  /** MN → device (only devices with an `hj212:` entry). */
  byMn: ReadonlyMap<string, DeviceEntry>
  ingest: Pick<Ingest, 'handle' | 'recordDenied'>
  config: Hj212Config
  metrics: Hj212Metrics
  logger: Logger
  clock: Clock
  verifier: SecretVerifier
  /** Device id → DataTime of its newest reading seen (seeded from the store at start). */
  lastSeen: Map<string, number>
  /** Called once the connection is bound to a device (first authenticated frame). */
  onBound(conn: Hj212Connection, deviceId: string): void
  onClosed(conn: Hj212Connection): void
}

/** Acks waiting for durability above which the socket is paused (back-pressure on a flooding device). */
const PAUSE_AT = 512
const RESUME_AT = 64
/** Tries while the PW verifier answers busy (backoff 50 ms doubling to 2 s: about 20 s in all) before the connection is closed. */
const VERIFY_RETRIES = 14
/** Minimum time between two time calibrations of one device. */
const CALIBRATION_EVERY_MS = 3_600_000 // 1 h
/** Same unknown factors are recorded again at most this often per connection. */
const KEPT_EVERY_MS = 3_600_000 // 1 h

interface PendingCommand {
  cn: string
  resolve(r: CommandResult): void
  reject(err: Error): void
  timer: NodeJS.Timeout
  accepted: boolean
}

export interface CommandResult {
  cn: string
  qn: string
  /** ExeRtn of the device's 9012 (1 = executed). */
  exeRtn: string
  detail: string
}

/** Raised to a command's caller: the device refused, failed or did not answer. */
export class CommandError extends Error {
  constructor (message: string, readonly retryable: boolean) { super(message); this.name = 'CommandError' }
}

export class Hj212Connection {
  private readonly splitter = new FrameSplitter()
  private readonly splits: SplitAssembler
  private entry: DeviceEntry | null = null
  /** The PW the device authenticated with (used in commands to it, §6.3.2). */
  private pw = ''
  private pwBytes = Buffer.alloc(0)
  private st = '22'
  private ackChain: Promise<void> = Promise.resolve()
  private pendingAcks = 0
  private badInARow = 0
  private firstData = true
  private lastCalibration = -Infinity
  private readonly keptAt = new Map<string, number>()
  private readonly commands = new Map<string, PendingCommand>()
  private qnSeq = 0
  private closed = false
  private verifying = false
  private readonly backlog: StreamItem[] = []
  private readonly splitTimer: NodeJS.Timeout

  constructor (private readonly socket: Duplex, readonly address: string, private readonly d: ConnectionDeps) {
    this.splits = new SplitAssembler(d.config.splitTimeoutS * 1000)
    this.splitTimer = setInterval(() => this.expireSplits(), Math.min(d.config.splitTimeoutS * 1000, 5000))
    this.splitTimer.unref()
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => d.logger.debug({ err: err.message, address }, 'hj212: socket error'))
    socket.on('close', () => this.onClose())
  }

  get deviceId (): string | null { return this.entry?.device.id ?? null }

  /** The registry entry this connection is bound to (after its first valid frame). */
  get boundEntry (): DeviceEntry | null { return this.entry }

  /**
   * A config reload kept this device's MN, site and framing settings: later frames are checked
   * against its new entry, and the PW is verified again at the next frame (it may have been
   * rotated: a PW no longer configured is refused from then on, without closing the connection).
   */
  rebind (entry: DeviceEntry): void {
    if (!this.entry) return
    this.entry = entry
    this.pwBytes = Buffer.alloc(0)
  }

  /** Sends a command to the device; resolves on its 9012 execution result (ExeRtn 1). */
  command (cmd: DeviceCommand): Promise<CommandResult> {
    if (!this.entry || this.closed) return Promise.reject(new CommandError('the device is not connected', true))
    const now = this.d.clock.now()
    const f = commandFrame(cmd, { st: this.st, pw: this.pw, mn: this.entry.device.hj212!.mn }, now, this.nextQn(now))
    return new Promise<CommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.commands.delete(f.qn!)
        this.d.metrics.commands.inc({ cn: cmd.cn, result: 'timeout' })
        reject(new CommandError(`no 9012 from the device within ${this.d.config.commandTimeoutS} s`, true))
      }, this.d.config.commandTimeoutS * 1000)
      timer.unref()
      this.commands.set(f.qn!, { cn: cmd.cn, resolve, reject, timer, accepted: false })
      this.socket.write(encodeFrame(f))
    })
  }

  close (): void {
    this.socket.destroy()
  }

  private nextQn (now: number): string {
    // QN is ms resolution; a counter in the last digits keeps two commands in one ms apart
    const base = BigInt(formatQn(now)) + BigInt(this.qnSeq++ % 1000)
    return base.toString()
  }

  private onData (chunk: Buffer): void {
    for (const item of this.splitter.push(chunk)) this.backlog.push(item)
    this.drain()
  }

  /** Frames in arrival order; paused while a PW is being verified (scrypt runs off the event loop). */
  private drain (): void {
    while (!this.verifying && !this.closed) {
      const item = this.backlog.shift()
      if (!item) return
      if (item.kind === 'garbage') this.refuse(null, item.raw, { reason: 'hj212_bad_frame', detail: item.detail })
      else this.onFrame(item.raw)
    }
  }

  /** The steps of one frame. */
  private onFrame (raw: Buffer): void {
    const env = decodePacket(raw)
    if (!env.ok) return this.refuse(null, raw, env.error)
    const seg = decodeSegment(env.packet.segment.toString('utf8'))
    if (!seg.ok) return this.refuse(null, raw, seg.error)
    let frame = seg.frame
    const entry = this.identify(frame, env.packet, raw)
    if (!entry) return
    const h = entry.device.hj212!
    let text: string | undefined
    if (h.encoding === 'gbk') {
      text = new TextDecoder('gbk').decode(env.packet.segment)
      const again = decodeSegment(text)
      if (again.ok) frame = again.frame
    }
    const checked = checkPacket(env.packet, text ?? env.packet.segment.toString('utf8'), h)
    if (!checked.ok) return this.refuse(frame, raw, checked.error, entry)
    const verdict = this.authenticate(frame, entry)
    if (verdict === 'ok') return this.accepted(frame, raw, entry, checked.quirks)
    if (verdict === 'bad') return this.wrongPw(frame, raw, entry)
    // a PW hash not verified yet: later frames wait, in order, until scrypt answers
    this.verifying = true
    this.verifyLater(verdict, frame, entry, 0).then((v) => {
      this.verifying = false
      if (this.closed) return
      if (v === 'ok') this.accepted(frame, raw, entry, checked.quirks)
      else this.wrongPw(frame, raw, entry)
      this.drain()
    }, (err: unknown) => {
      this.verifying = false
      this.d.logger.error({ err, device: entry.device.id }, 'HJ 212 PW check failed')
      this.socket.destroy()
    })
  }

  private wrongPw (frame: Frame, raw: Buffer, entry: DeviceEntry): void {
    this.refuse(frame, raw, { reason: 'hj212_wrong_pw', detail: `PW does not match device '${entry.device.id}'` }, entry)
  }

  /**
   * Waits for a PW check; while the verifier is busy (a reconnect storm: more checks queued than it
   * takes), asks again with backoff instead of refusing a device that did nothing wrong.
   */
  private async verifyLater (check: Promise<Verdict>, f: Frame, entry: DeviceEntry, tries: number): Promise<'ok' | 'bad'> {
    const v = await check
    if (v !== 'busy') return v
    if (tries >= VERIFY_RETRIES || this.closed) throw new Error(`PW verifier busy after ${tries} tries`)
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** tries)))
    return await this.verifyLater(this.verifyHashes(f.pw ?? '', pwHashes(entry.device.hj212!)), f, entry, tries + 1)
  }

  /** A frame whose PW holds: split-packet assembly, then the command. */
  private accepted (frame: Frame, raw: Buffer, entry: DeviceEntry, quirks: readonly string[]): void {
    for (const q of quirks) this.d.metrics.quirks.inc({ device: entry.device.id, quirk: q })
    this.bind(entry, frame)
    const assembled = this.splits.add(frame, this.d.clock.now())
    if (assembled.state === 'invalid') return this.refuse(frame, raw, { reason: 'hj212_bad_frame', detail: assembled.detail }, entry)
    this.badInARow = 0
    if (assembled.state === 'partial') return
    this.dispatch(assembled.frame, raw, entry)
  }

  /** MN → device. One device per connection. */
  private identify (f: Frame, p: Packet, raw: Buffer): DeviceEntry | null {
    const mn = f.mn
    const entry = mn === undefined ? undefined : this.d.byMn.get(mn)
    if (!entry) {
      // a corrupted MN looks unknown: say bad_crc when the CRC does not hold either way
      if (!crcPlausible(p)) this.refuse(f, raw, { reason: 'hj212_bad_crc', detail: `MN ${JSON.stringify(mn ?? '')} is not registered and the CRC ${p.crcText} does not match the data segment` })
      else this.refuse(f, raw, { reason: 'hj212_unknown_mn', detail: mn === undefined ? 'the frame has no MN' : `MN ${JSON.stringify(mn)} is not in the registry` })
      return null
    }
    if (this.entry && this.entry !== entry) {
      this.refuse(f, raw, { reason: 'hj212_unknown_mn', detail: `this connection belongs to MN ${JSON.stringify(this.entry.device.hj212!.mn)}; one device per connection` }, this.entry)
      return null
    }
    return entry
  }

  /** PW against pw (constant-time) or pwHash (scrypt, successes cached). */
  private authenticate (f: Frame, entry: DeviceEntry): 'ok' | 'bad' | Promise<Verdict> {
    const sent = f.pw ?? ''
    // every frame carries the PW: once verified on this connection, compare with that one
    // (constant time for equal lengths) instead of hashing again
    if (this.entry === entry && this.pwBytes.length > 0) {
      const s = Buffer.from(sent)
      if (s.length === this.pwBytes.length && timingSafeEqual(s, this.pwBytes)) return 'ok'
    }
    const h = entry.device.hj212!
    // a plain PW counts only without a pwHash (a hash wins); a nextPwHash beside it is a rotation from plain to hashed
    if (h.pwHash === undefined && h.pw !== undefined && timingSafeEqual(createHash('sha256').update(sent).digest(), createHash('sha256').update(h.pw).digest())) return 'ok'
    const hashes = pwHashes(h)
    if (hashes.length === 0) return 'bad'
    if (hashes.some((x) => this.d.verifier.isVerified(sent, x))) return 'ok'
    return this.verifyHashes(sent, hashes)
  }

  /** scrypt against each configured hash in turn (two during a rotation window); busy as soon as the verifier is. */
  private async verifyHashes (sent: string, hashes: readonly string[]): Promise<Verdict> {
    for (const x of hashes) {
      const v = await this.d.verifier.verify(sent, x)
      if (v !== 'bad') return v
    }
    return 'bad'
  }

  private bind (entry: DeviceEntry, f: Frame): void {
    this.pw = f.pw ?? ''
    this.pwBytes = Buffer.from(this.pw)
    if (f.st !== undefined && f.st !== '91') this.st = f.st
    if (this.entry) return
    this.entry = entry
    this.d.onBound(this, entry.device.id)
  }

  private dispatch (f: Frame, raw: Buffer, entry: DeviceEntry): void {
    const cn = f.cn ?? ''
    if (isDataCommand(cn)) return this.onData212(f, cn, raw, entry)
    switch (cn) {
      case '9011': return this.onQnRtn(f)
      case '9012': return this.onExeRtn(f)
      case '9013': case '9014': return this.count(cn, 'ok')
      case '2021': case '2081': case '1011': case '1061':
        // equipment status, logger restart, and answers to get-time / get-interval: logged,
        // acknowledged; not telemetry (docs/hj212.md)
        this.d.logger.info({ device: entry.device.id, cn, cp: f.cp }, 'hj212: device report')
        this.count(cn, 'ok')
        return this.ack(f, Promise.resolve())
      default:
        return this.refuse(f, raw, { reason: 'hj212_unknown_command', detail: cn === '' ? 'the frame has no CN' : `CN=${cn} is not a command the gateway handles` }, entry)
    }
  }

  private onData212 (f: Frame, cn: '2011' | '2051' | '2061' | '2031', raw: Buffer, entry: DeviceEntry): void {
    const { device, site } = entry
    const kind = device.kind as 'dust' | 'water'
    const m = mapDataFrame(f, cn, { kind, minuteIntervalS: device.hj212!.minuteIntervalS })
    if (m.error || !m.reading) return this.refuse(f, raw, m.error ?? { reason: 'hj212_bad_datatime', detail: 'no DataTime' }, entry)
    const now = this.d.clock.now()
    const ts = m.reading.ts as number
    if (m.kept.length > 0) this.keep(m.kept, raw, entry, now)
    if (cn === '2011' || (cn === '2051' && this.commands.size === 0)) this.watchClockAndGaps(ts, now, entry)
    const prev = this.d.lastSeen.get(device.id)
    if (prev === undefined || ts > prev) this.d.lastSeen.set(device.id, ts)
    this.count(cn, 'ok')
    const durable = this.d.ingest.handle({
      topic: telemetryTopic(site.id, kind, device.id),
      payload: Buffer.from(JSON.stringify(m.reading)),
      deviceId: device.id,
      receivedAt: now
    }).then(() => undefined)
    this.ack(f, durable)
  }

  /** Sends 9014 for `f` (when it asks) once `durable` resolves, in frame order. */
  private ack (f: Frame, durable: Promise<void>): void {
    const wants = f.flag !== undefined && (f.flag & FLAG_ACK) !== 0
    this.pendingAcks++
    if (this.pendingAcks >= PAUSE_AT) this.socket.pause()
    const prev = this.ackChain
    this.ackChain = Promise.all([prev, durable]).then(() => {
      if (wants && !this.closed) {
        this.socket.write(encodeFrame(dataAck(f))) // [HJ 212-2017 §6.6.2] 9014 only after the data is durable
        this.d.metrics.acks.inc()
      }
    }, (err: unknown) => {
      // not durable: no ack, the device keeps the data and sends it again
      this.d.logger.warn({ err, device: this.deviceId }, 'hj212: readings not durable; no 9014 sent')
    }).finally(() => {
      if (--this.pendingAcks <= RESUME_AT && !this.closed) this.socket.resume()
    })
  }

  /** Time calibration (CN 1012) on drift; backfill (CN 2051 BeginTime/EndTime) after a gap. */
  private watchClockAndGaps (ts: number, now: number, entry: DeviceEntry): void {
    const c = this.d.config
    if (Math.abs(ts - now) > c.maxClockDriftS * 1000 && now - this.lastCalibration >= CALIBRATION_EVERY_MS) {
      this.lastCalibration = now
      this.d.logger.info({ device: entry.device.id, driftS: Math.round((ts - now) / 1000) }, 'hj212: device clock drifts; sending time calibration (CN 1012)')
      this.command({ cn: '1012', systemTime: now }).catch((err: Error) => this.d.logger.warn({ device: entry.device.id, err: err.message }, 'hj212: time calibration failed'))
    }
    if (!this.firstData) return
    this.firstData = false
    const prev = this.d.lastSeen.get(entry.device.id)
    const gapMs = c.backfill.gapFactor * entry.device.intervalS * 1000
    if (!c.backfill.enabled || prev === undefined || ts - prev <= gapMs) return
    const begin = Math.max(prev + 1000, now - c.backfill.maxS * 1000)
    const end = ts - 1000
    if (end <= begin) return
    this.d.logger.info({ device: entry.device.id, from: new Date(begin).toISOString(), to: new Date(end).toISOString() }, 'hj212: gap since the last reading; requesting minute data (补传)')
    this.command({ cn: '2051', begin, end })
      .then((r) => this.d.logger.info({ device: entry.device.id, exeRtn: r.exeRtn }, 'hj212: backfill finished'))
      .catch((err: Error) => this.d.logger.warn({ device: entry.device.id, err: err.message }, 'hj212: backfill failed'))
  }

  private onQnRtn (f: Frame): void {
    this.count('9011', 'ok')
    const p = f.qn === undefined ? undefined : this.commands.get(f.qn)
    if (!p) return
    const rtn = cpValue(f, 'QnRtn') ?? ''
    if (rtn === '1') { p.accepted = true; return }
    this.settle(f.qn!, p)
    this.d.metrics.commands.inc({ cn: p.cn, result: 'refused' })
    p.reject(new CommandError(`the device refused CN ${p.cn}: QnRtn=${rtn} (${QN_RTN[rtn] ?? 'device specific'})`, false))
  }

  private onExeRtn (f: Frame): void {
    this.count('9012', 'ok')
    const p = f.qn === undefined ? undefined : this.commands.get(f.qn)
    if (!p) return
    this.settle(f.qn!, p)
    const rtn = cpValue(f, 'ExeRtn') ?? ''
    const detail = EXE_RTN[rtn] ?? 'device specific'
    if (rtn === '1' || (rtn === '100' && /^20[3-6]1$/.test(p.cn))) {
      this.d.metrics.commands.inc({ cn: p.cn, result: 'ok' })
      p.resolve({ cn: p.cn, qn: f.qn!, exeRtn: rtn, detail })
    } else {
      this.d.metrics.commands.inc({ cn: p.cn, result: 'failed' })
      p.reject(new CommandError(`CN ${p.cn} failed on the device: ExeRtn=${rtn} (${detail})`, rtn === '4' || rtn === '5'))
    }
  }

  private settle (qn: string, p: PendingCommand): void {
    clearTimeout(p.timer)
    this.commands.delete(qn)
  }

  /** Unknown factors are recorded (reject store, reason hj212_unknown_factor), at most hourly per set. */
  private keep (kept: string[], raw: Buffer, entry: DeviceEntry, now: number): void {
    const key = kept.map((k) => k.slice(0, k.indexOf('='))).join(',')
    const last = this.keptAt.get(key)
    if (last !== undefined && now - last < KEPT_EVERY_MS) return
    this.keptAt.set(key, now)
    this.record(entry.device.id, raw, 'hj212_unknown_factor', `kept, not stored as fields (the rest of the frame is stored): ${kept.slice(0, 20).join('; ')}`, entry.device.hj212!.mn)
  }

  private refuse (f: Frame | null, raw: Buffer, e: FrameError, entry?: DeviceEntry): void {
    this.count(f?.cn ?? '', e.reason)
    this.record(entry?.device.id ?? null, raw, e.reason, e.detail, f?.mn)
    if (++this.badInARow >= this.d.config.maxBadFrames) {
      this.d.logger.warn({ address: this.address, device: this.deviceId, bad: this.badInARow }, 'hj212: closing a connection that sends only bad frames')
      this.d.metrics.connectionsClosed.inc({ reason: 'bad_frames' })
      this.closed = true
      this.socket.destroy()
    }
  }

  private record (deviceId: string | null, raw: Buffer, reason: Hj212Reason, detail: string, mn?: string): void {
    this.d.ingest.recordDenied({ deviceId, topic: `hj212/${mn ?? this.address}`, reason, payload: raw, at: this.d.clock.now(), detail })
      .catch((err: unknown) => this.d.logger.error({ err }, 'hj212: could not record a reject'))
  }

  private count (cn: string, outcome: string): void {
    this.d.metrics.frames.inc({ cn: /^\d{4}$/.test(cn) ? cn : 'other', outcome })
  }

  private expireSplits (): void {
    for (const lost of this.splits.expire(this.d.clock.now())) {
      const first = lost.parts[0]
      this.record(this.deviceId, Buffer.from(first ? `QN=${first.qn ?? ''};CN=${first.cn ?? ''}` : ''), 'hj212_split_incomplete',
        `${lost.parts.length} of PNUM=${lost.pnum} packets arrived within ${this.d.config.splitTimeoutS} s (PNO ${lost.parts.map((p) => p.pno).join(', ')})`, first?.mn)
      this.count(first?.cn ?? '', 'hj212_split_incomplete')
    }
  }

  private onClose (): void {
    this.closed = true
    clearInterval(this.splitTimer)
    for (const [qn, p] of this.commands) {
      this.settle(qn, p)
      p.reject(new CommandError('the device disconnected before answering', true))
    }
    this.d.onClosed(this)
  }
}

/** The PW hashes a device may log in with: pwHash, and nextPwHash during a rotation window. */
function pwHashes (h: Hj212Device): string[] {
  return [h.pwHash, h.nextPwHash].filter((x): x is string => x !== undefined)
}
