/**
 * A simulated HJ 212 device (dust monitor or wastewater meter, or its data logger): one TCP
 * connection to a gateway, frames written with the device's quirks, 9014 acks awaited, and the
 * upper computer's commands answered as a real logger does — 9011 (QnRtn), then the data of a
 * history request, then 9012 (ExeRtn) — for time calibration 1012, interval 1062 and 2051/2061/2031.
 */
import { connect, type Socket } from 'node:net'
import { FrameSplitter } from '../hj212/stream.js'
import { cpValue, decodePacket, decodeSegment, encodeSegment, encodeText, FLAG_ACK, FLAG_V2017, type CpGroup, type EncodeOptions, type Frame } from '../hj212/frame.js'
import { formatDataTime, formatQn, parseDataTime } from '../hj212/datatime.js'

/** The ways a real device departs from the standard (docs/hj212.md, "Quirks"). */
export interface Hj212Quirks {
  /** CRC printed byte-swapped or in lower case. */
  crc?: EncodeOptions['crc']
  /** Length counted in characters. */
  length?: 'bytes' | 'chars'
  /** 2005 edition: no QN, no Flag (so no acks), legacy aliases. */
  edition2005?: boolean
  /** DataTime with milliseconds. */
  dataTimeMs?: boolean
  /** Split every data frame into this many packets (PNUM/PNO). */
  splitInto?: number
}

export interface Hj212DeviceOptions {
  host: string
  port: number
  mn: string
  pw: string
  /** System code: 22 air quality, 39 construction dust, 32 wastewater (§6.3.2 表 3). */
  st: string
  quirks?: Hj212Quirks
  /** The device's own clock (a drifting one for calibration tests); set by CN 1012. */
  now?: () => number
  /** Answers a history request: the data frames' CP (one CpGroup[] per frame, DataTime included) in [begin, end]. */
  history?: (cn: '2051' | '2061' | '2031', begin: number, end: number) => CpGroup[][]
  /** A 9014 that does not come within this fails the send, ms. */
  ackTimeoutMs?: number
}

/** Frames kept in `received` (tests look at the last few). */
const RECEIVED_KEPT = 256

interface Waiter { resolve(): void, reject(err: Error): void, timer: NodeJS.Timeout }

export class Hj212DeviceClient {
  private socket: Socket | null = null
  private readonly splitter = new FrameSplitter()
  private readonly acks = new Map<string, Waiter>()
  private qnSeq = 0
  private clockOffsetMs = 0
  /** Real-time interval set by CN 1062, s. */
  rtdIntervalS: number | null = null
  /** The last RECEIVED_KEPT frames received from the gateway, in order. */
  readonly received: Frame[] = []
  /** Called for each frame received (tests wait on commands with it). */
  onFrame: ((f: Frame) => void) | null = null

  constructor (private readonly o: Hj212DeviceOptions) {}

  /** The device's clock, including a calibration it received. */
  now (): number { return (this.o.now ?? Date.now)() + this.clockOffsetMs }

  async connect (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: this.o.host, port: this.o.port, noDelay: true }, () => { s.off('error', reject); resolve() })
      s.once('error', reject)
      s.on('data', (chunk: Buffer) => this.onData(chunk))
      s.on('close', () => this.failAll(new Error('connection closed')))
      s.on('error', () => {})
      this.socket = s
    })
  }

  /** Closes the connection (pending acks fail). */
  async close (): Promise<void> {
    const s = this.socket
    this.socket = null
    if (!s || s.destroyed) return
    await new Promise<void>((resolve) => { s.once('close', () => resolve()); s.end(); setTimeout(() => s.destroy(), 500).unref() })
  }

  /** Builds a data frame for `cn` with the device's header (and QN/Flag unless 2005 edition). */
  frame (cn: string, cp: CpGroup[], opts: { ack?: boolean } = {}): Frame {
    const q = this.o.quirks ?? {}
    const f: Frame = { st: this.o.st, cn, pw: this.o.pw, mn: this.o.mn, cp }
    if (!q.edition2005) {
      f.qn = this.nextQn()
      f.flag = FLAG_V2017 | (opts.ack === false ? 0 : FLAG_ACK)
    }
    return f
  }

  /** DataTime as this device writes it. */
  dataTime (ms: number): string {
    return (this.o.quirks?.dataTimeMs) ? formatQn(ms) : formatDataTime(ms)
  }

  /** Sends a frame (split into packets under the splitInto quirk); resolves on its 9014 when it asks for one. */
  async send (f: Frame): Promise<void> {
    const wantsAck = f.flag !== undefined && (f.flag & FLAG_ACK) !== 0
    const acked = wantsAck && f.qn !== undefined ? this.waitAck(f.qn) : Promise.resolve()
    for (const p of this.packets(f)) this.write(p)
    await acked
  }

  /** False once the connection is closed (by either side). */
  get connected (): boolean { return this.socket !== null && !this.socket.destroyed }

  /** Writes raw bytes (tests send broken frames with it). */
  write (data: Buffer | string): void {
    if (!this.socket || this.socket.destroyed) throw new Error('not connected')
    this.socket.write(data)
  }

  private packets (f: Frame): Buffer[] {
    const q = this.o.quirks ?? {}
    const enc: EncodeOptions = { crc: q.crc, length: q.length }
    const n = q.splitInto ?? 1
    if (n <= 1 || f.cp.length < n) return [encodeText(encodeSegment(f), enc)]
    const per = Math.ceil(f.cp.length / n)
    const out: Buffer[] = []
    for (let i = 0; i < n; i++) {
      const cp = f.cp.slice(i * per, (i + 1) * per)
      out.push(encodeText(encodeSegment({ ...f, flag: (f.flag ?? FLAG_V2017) | 0b10, pnum: n, pno: i + 1, cp }), enc))
    }
    return out
  }

  private waitAck (qn: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ms = this.o.ackTimeoutMs ?? 10_000
      const timer = setTimeout(() => { this.acks.delete(qn); reject(new Error(`no 9014 for QN ${qn} within ${ms} ms`)) }, ms)
      this.acks.set(qn, { resolve, reject, timer })
    })
  }

  private nextQn (): string {
    return (BigInt(formatQn(this.now())) + BigInt(this.qnSeq++ % 1000)).toString()
  }

  private onData (chunk: Buffer): void {
    for (const item of this.splitter.push(chunk)) {
      if (item.kind !== 'frame') continue
      const env = decodePacket(item.raw)
      if (!env.ok) continue
      const seg = decodeSegment(env.packet.segment.toString('utf8'))
      if (!seg.ok) continue
      this.received.push(seg.frame)
      if (this.received.length > RECEIVED_KEPT) this.received.shift() // a long-running demo device must not grow
      this.onFrame?.(seg.frame)
      void this.answer(seg.frame)
    }
  }

  /** Acks complete sends; commands get 9011, their effect, then 9012 (§6.6.4). */
  private async answer (f: Frame): Promise<void> {
    if (f.cn === '9014') {
      const w = f.qn === undefined ? undefined : this.acks.get(f.qn)
      if (w) { clearTimeout(w.timer); this.acks.delete(f.qn!); w.resolve() }
      return
    }
    const reply = (cn: string, cp: CpGroup[]) => this.write(encodeText(encodeSegment({ qn: f.qn, st: '91', cn, pw: this.o.pw, mn: this.o.mn, flag: FLAG_V2017, cp })))
    if (f.cn === '1012' || f.cn === '1062' || f.cn === '2051' || f.cn === '2061' || f.cn === '2031') {
      reply('9011', [[['QnRtn', '1']]])
      let exe = '1'
      if (f.cn === '1012') {
        const t = parseDataTime(cpValue(f, 'SystemTime') ?? '')
        if (Number.isNaN(t)) exe = '3'
        else this.clockOffsetMs += t - this.now()
      } else if (f.cn === '1062') {
        const s = Number(cpValue(f, 'RtdInterval'))
        if (!Number.isInteger(s) || s < 30 || s > 3600) exe = '3' // 30–3600 s (§6.6)
        else this.rtdIntervalS = s
      } else {
        const begin = parseDataTime(cpValue(f, 'BeginTime') ?? '')
        const end = parseDataTime(cpValue(f, 'EndTime') ?? '')
        const data = this.o.history && !Number.isNaN(begin) && !Number.isNaN(end) ? this.o.history(f.cn, begin, end) : []
        if (data.length === 0) exe = '100' // no data
        // each history frame asks for a 9014, so 9012 goes out only once all of it is stored
        for (const cp of data) await this.send(this.frame(f.cn, cp, { ack: true }))
      }
      reply('9012', [[['ExeRtn', exe]]])
    }
  }

  private failAll (err: Error): void {
    for (const [qn, w] of this.acks) { clearTimeout(w.timer); this.acks.delete(qn); w.reject(err) }
  }
}
