/**
 * Stream reassembly: TCP chunks in, whole raw frames (`##` … CR LF) out, in order. Frames are cut
 * at CR LF rather than at the declared length, because real devices send wrong lengths (the
 * length is checked afterwards under the device's tolerance). Bytes that are not a frame come out
 * as garbage items, never as an exception; memory is bounded by maxFrameBytes.
 */
import { ENVELOPE_BYTES, MAX_SEGMENT_BYTES } from './frame.js'

export type StreamItem =
  | { kind: 'frame', raw: Buffer }
  | { kind: 'garbage', raw: Buffer, detail: string }

const HASHES = Buffer.from('##', 'latin1')
const CRLF = Buffer.from('\r\n', 'latin1')
const EMPTY = Buffer.alloc(0)

export interface SplitterOptions {
  /** Longest frame accepted, bytes (default: the largest segment accepted plus the envelope). */
  maxFrameBytes?: number
}

export class FrameSplitter {
  private pending: Buffer = EMPTY
  private readonly maxFrameBytes: number

  constructor (opts: SplitterOptions = {}) {
    this.maxFrameBytes = opts.maxFrameBytes ?? MAX_SEGMENT_BYTES + ENVELOPE_BYTES
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered (): number { return this.pending.length }

  /** Feeds one chunk; returns the frames and garbage it completed. */
  push (chunk: Buffer): StreamItem[] {
    const out: StreamItem[] = []
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    for (;;) {
      const start = buf.indexOf(HASHES)
      if (start < 0) {
        // keep a trailing '#': it may be the first half of the next '##'
        const keep = buf.length > 0 && buf[buf.length - 1] === 0x23 ? 1 : 0
        garbage(out, buf.subarray(0, buf.length - keep), 'bytes outside a frame (a frame starts with ##)')
        buf = buf.subarray(buf.length - keep)
        break
      }
      if (start > 0) garbage(out, buf.subarray(0, start), 'bytes outside a frame (a frame starts with ##)')
      buf = buf.subarray(start)
      const end = buf.indexOf(CRLF, 2)
      const next = buf.indexOf(HASHES, 2)
      if (next >= 0 && (end < 0 || next < end)) {
        out.push({ kind: 'garbage', raw: buf.subarray(0, next), detail: 'frame cut off: a new ## began before its CR LF' })
        buf = buf.subarray(next)
        continue
      }
      if (end < 0) {
        if (buf.length > this.maxFrameBytes) {
          out.push({ kind: 'garbage', raw: buf.subarray(0, Math.min(buf.length, 1024)), detail: `no CR LF within ${this.maxFrameBytes} bytes of ##` })
          buf = EMPTY
        }
        break
      }
      out.push({ kind: 'frame', raw: buf.subarray(0, end + 2) })
      buf = buf.subarray(end + 2)
    }
    // copy so a small remainder does not pin a large chunk
    this.pending = buf.length === 0 ? EMPTY : Buffer.from(buf)
    return out
  }
}

/** Whitespace between frames (a stray CR LF, keep-alive spaces) is not worth a reject. */
function garbage (out: StreamItem[], raw: Buffer, detail: string): void {
  for (const b of raw) {
    if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09 && b !== 0x00) {
      out.push({ kind: 'garbage', raw, detail })
      return
    }
  }
}
