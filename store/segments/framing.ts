/**
 * Spool record framing. Each record is a 16-byte header and a payload:
 *
 *   offset 0  magic   u32 LE  0x3153574D ("MWS1")
 *   offset 4  length  u32 LE  payload bytes
 *   offset 8  count   u32 LE  readings in the payload
 *   offset 12 crc     u32 LE  CRC-32 (zlib) over bytes 4..12 and the payload
 *   offset 16 payload          UTF-8 JSON array of readings
 *
 * The magic lets a reader find the next record after a damaged one; the CRC tells a
 * torn or corrupted record from a whole one.
 */
import { crc32 } from 'node:zlib'

export const MAGIC = 0x3153574d
export const HEADER_BYTES = 16
/** Largest payload accepted when reading back (a record claiming more is damage). */
export const MAX_PAYLOAD_BYTES = 1024 ** 3 // 1 GiB

/** Frames a payload holding `count` readings. */
export function encodeRecord (payload: Buffer, count: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length)
  out.writeUInt32LE(MAGIC, 0)
  out.writeUInt32LE(payload.length, 4)
  out.writeUInt32LE(count, 8)
  payload.copy(out, HEADER_BYTES)
  out.writeUInt32LE(crc32(payload, crc32(out.subarray(4, 12))), 12)
  return out
}

/** A whole record found in a buffer. */
export interface FoundRecord {
  /** Offset of the header. */
  offset: number
  /** Header plus payload, bytes. */
  bytes: number
  count: number
}

/** A damaged stretch that was skipped to reach the next whole record. */
export interface Damage {
  offset: number
  bytes: number
}

export interface ScanResult {
  records: FoundRecord[]
  /** Damaged stretches in the middle, each followed by a whole record. */
  damaged: Damage[]
  /** End of the last whole record: anything after it is a torn (partly written) tail. */
  validEnd: number
}

/** Is there a whole, CRC-correct record at `offset`? Returns it, or null. */
export function recordAt (buf: Buffer, offset: number): FoundRecord | null {
  if (buf.length - offset < HEADER_BYTES) return null
  if (buf.readUInt32LE(offset) !== MAGIC) return null
  const length = buf.readUInt32LE(offset + 4)
  if (length > MAX_PAYLOAD_BYTES || offset + HEADER_BYTES + length > buf.length) return null
  const crc = crc32(buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length), crc32(buf.subarray(offset + 4, offset + 12)))
  if (crc !== buf.readUInt32LE(offset + 12)) return null
  return { offset, bytes: HEADER_BYTES + length, count: buf.readUInt32LE(offset + 8) }
}

const MAGIC_BYTES = Buffer.from([0x4d, 0x57, 0x53, 0x31])

/** Offset of the next whole record at or after `from`, or -1. */
function nextRecord (buf: Buffer, from: number): number {
  let at = buf.indexOf(MAGIC_BYTES, from)
  while (at >= 0) {
    if (recordAt(buf, at) !== null) return at
    at = buf.indexOf(MAGIC_BYTES, at + 1)
  }
  return -1
}

/**
 * Walks a segment's bytes from `start`. A bad record followed later by a whole one is
 * damage (reported, skipped); a bad record with nothing whole after it is a torn tail
 * (a crash mid-append): the scan ends at validEnd and the caller truncates there.
 */
export function scanRecords (buf: Buffer, start = 0): ScanResult {
  const records: FoundRecord[] = []
  const damaged: Damage[] = []
  let at = start
  while (at < buf.length) {
    const rec = recordAt(buf, at)
    if (rec !== null) {
      records.push(rec)
      at += rec.bytes
      continue
    }
    const next = nextRecord(buf, at + 1)
    if (next < 0) break
    damaged.push({ offset: at, bytes: next - at })
    at = next
  }
  return { records, damaged, validEnd: at }
}
