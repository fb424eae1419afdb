/**
 * Maximum MQTT packet size. aedes (and mqtt-packet's parser) accept any packet up to the
 * protocol's 256 MiB, buffering it whole; this scanner reads only each packet's fixed header
 * (MQTT 3.1.1 §2.2: type byte + Remaining Length, 1–4 bytes) as bytes arrive, skips the body
 * without copying, and reports a packet larger than the limit before its body is buffered.
 */

/** A refused packet: its type (§2.2.1: 3 = PUBLISH), declared total size, and for a PUBLISH the topic and a payload sample when they are in the chunk at hand. */
export interface OversizePacket {
  type: number
  bytes: number
  topic?: string
  sample?: Buffer
}

/** Bytes of an oversized PUBLISH's payload kept for the reject record. */
const SAMPLE_BYTES = 1024

const HEADER = 0
const LENGTH = 1
const BODY = 2

export class PacketSizeScanner {
  private state = HEADER
  private type = 0
  private flags = 0
  private length = 0
  private multiplier = 1
  private lengthBytes = 0
  private remaining = 0

  /** @param maxBytes largest packet accepted, fixed header included */
  constructor (private readonly maxBytes: number) {}

  /** Scans the next chunk of the stream; returns the first oversized (or malformed) packet, else null. */
  scan (buf: Buffer): OversizePacket | null {
    let i = 0
    const n = buf.length
    while (i < n) {
      if (this.state === BODY) {
        const left = n - i
        if (this.remaining > left) { this.remaining -= left; return null }
        i += this.remaining
        this.remaining = 0
        this.state = HEADER
      } else if (this.state === HEADER) {
        const first = buf[i++]!
        this.type = first >> 4
        this.flags = first & 0x0f
        this.length = 0
        this.multiplier = 1
        this.lengthBytes = 0
        this.state = LENGTH
      } else {
        const b = buf[i++]!
        this.length += (b & 0x7f) * this.multiplier
        this.multiplier *= 128
        this.lengthBytes++
        if (b & 0x80) {
          // §2.2.3: at most four Remaining Length bytes
          if (this.lengthBytes === 4) return { type: this.type, bytes: Infinity }
          continue
        }
        const total = 1 + this.lengthBytes + this.length
        if (total > this.maxBytes) return this.describe(buf, i, total)
        this.remaining = this.length
        this.state = this.remaining > 0 ? BODY : HEADER
      }
    }
    return null
  }

  /** Reads the topic (and a payload sample) of an oversized PUBLISH from what is at hand. */
  private describe (buf: Buffer, at: number, total: number): OversizePacket {
    const out: OversizePacket = { type: this.type, bytes: total }
    if (this.type !== 3 || at + 2 > buf.length) return out
    const topicLen = buf.readUInt16BE(at) // §3.3.2.1: UTF-8 string, 2-byte length prefix
    const topicEnd = at + 2 + topicLen
    if (topicEnd > buf.length) return out
    out.topic = buf.toString('utf8', at + 2, topicEnd)
    // QoS > 0 PUBLISH carries a 2-byte packet identifier before the payload (§3.3.2.2)
    const qos = (this.flags >> 1) & 3
    const payloadStart = topicEnd + (qos > 0 ? 2 : 0)
    if (payloadStart < buf.length) out.sample = Buffer.from(buf.subarray(payloadStart, Math.min(buf.length, payloadStart + SAMPLE_BYTES)))
    return out
  }
}
