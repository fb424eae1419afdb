/**
 * HJ 212 frames, pure: the envelope (`##` + 4-digit length + data segment + CRC + CR LF, §6.3.1)
 * and the data segment (`QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`, §6.3.2).
 * decodePacket/decodeSegment read; encodeFrame writes. Nothing here throws on bad input:
 * every problem is a typed FrameError with a specific reason.
 */
import { crc212, formatCrc, swapCrc } from './crc.js'
import type { FrameError } from './errors.js'

/** CP items: `;` between items, `,` between the name=value pairs of one item (§6.3.3). */
export type CpPair = [name: string, value: string]
export type CpGroup = CpPair[]

/** A decoded data segment. 2005-edition frames have no qn and no flag. */
export interface Frame {
  qn?: string
  st?: string
  cn?: string
  pw?: string
  mn?: string
  /** Flag bits V5..V0 D A (§6.3.2 表 4): A (bit 0) ack requested, D (bit 1) split packet. */
  flag?: number
  pnum?: number
  pno?: number
  /** Header fields the standard does not name, in wire order (kept for round trips). */
  extra?: CpPair[]
  cp: CpGroup[]
}

/** Flag bit A: the sender wants a 9014 data acknowledgement (§6.3.2 表 4). */
export const FLAG_ACK = 0b01
/** Flag bit D: the frame is one packet of a split message (PNUM/PNO present). */
export const FLAG_SPLIT = 0b10
/** Version bits 000001 = HJ 212-2017 (the flag of a 2017 frame without ack is 4). */
export const FLAG_V2017 = 0b100

/** The standard's data segment limit (§6.3.1); longer ones are accepted up to MAX_SEGMENT_BYTES. */
export const STANDARD_SEGMENT_BYTES = 1024
/** Data segments longer than this are refused whatever the device (real ones overshoot 1024 a little). */
export const MAX_SEGMENT_BYTES = 8192
/** `##` + 4 digits + 4 hex + CR LF. */
export const ENVELOPE_BYTES = 12

/** An envelope split into its parts, not yet checked against the device's tolerances. */
export interface Packet {
  /** The length field as sent. */
  declaredLength: number
  /** The data segment bytes. */
  segment: Buffer
  /** The CRC as sent (4 hex digits, either case). */
  crcText: string
  /** The CRC as sent, as a number. */
  crcSent: number
  /** The CRC computed over the segment. */
  crcComputed: number
}

const HASH = 0x23
const CR = 0x0d
const LF = 0x0a
const HEX4 = /^[0-9A-Fa-f]{4}$/
const DIGITS4 = /^[0-9]{4}$/

const fail = (reason: FrameError['reason'], detail: string): { ok: false, error: FrameError } => ({ ok: false, error: { reason, detail } })

/** Splits one complete raw frame (as cut by FrameSplitter: `##` … CR LF) into its parts. */
export function decodePacket (raw: Buffer): { ok: true, packet: Packet } | { ok: false, error: FrameError } {
  const n = raw.length
  if (n < 2 || raw[0] !== HASH || raw[1] !== HASH) return fail('hj212_bad_frame', 'a frame starts with ##')
  if (n < 4 || raw[n - 2] !== CR || raw[n - 1] !== LF) return fail('hj212_bad_frame', 'a frame ends with CR LF')
  if (n < ENVELOPE_BYTES) return fail('hj212_bad_frame', `${n} bytes is too short for a frame (## + length + CRC + CR LF is ${ENVELOPE_BYTES})`)
  const lengthText = raw.toString('latin1', 2, 6)
  if (!DIGITS4.test(lengthText)) return fail('hj212_bad_length', `length field ${JSON.stringify(lengthText)} is not 4 decimal digits`)
  const crcText = raw.toString('latin1', n - 6, n - 2)
  if (!HEX4.test(crcText)) return fail('hj212_bad_crc', `CRC field ${JSON.stringify(crcText)} is not 4 hex digits`)
  const segment = raw.subarray(6, n - 6)
  if (segment.length > MAX_SEGMENT_BYTES) return fail('hj212_bad_length', `data segment of ${segment.length} bytes; at most ${MAX_SEGMENT_BYTES} are accepted`)
  return {
    ok: true,
    packet: { declaredLength: Number(lengthText), segment, crcText, crcSent: parseInt(crcText, 16), crcComputed: crc212(segment) }
  }
}

/** How a device counts the length field and prints its CRC (registry `hj212:` settings). */
export interface EnvelopeTolerance {
  /** bytes: the standard (§6.3.1); chars: UTF-8/GBK characters also accepted; any: not checked. */
  length: 'bytes' | 'chars' | 'any'
  /** standard; swapped: the two bytes printed the other way round also accepted; off: not checked. */
  crc: 'standard' | 'swapped' | 'off'
}

export const STRICT: EnvelopeTolerance = Object.freeze({ length: 'bytes', crc: 'standard' })

/** What a tolerated quirk was, so the gateway can flag the device. */
export type EnvelopeQuirk = 'length_chars' | 'length_wrong' | 'crc_swapped' | 'crc_unchecked'

/** Checks length and CRC under a device's tolerance; `text` is the decoded segment (for character counts). */
export function checkPacket (p: Packet, text: string, tol: EnvelopeTolerance): { ok: true, quirks: EnvelopeQuirk[] } | { ok: false, error: FrameError } {
  const quirks: EnvelopeQuirk[] = []
  if (p.declaredLength !== p.segment.length) {
    const chars = countChars(text)
    if (tol.length === 'chars' && p.declaredLength === chars) quirks.push('length_chars')
    else if (tol.length === 'any') quirks.push('length_wrong')
    else {
      const also = tol.length === 'chars' ? ` or ${chars} characters` : ''
      return fail('hj212_bad_length', `length field says ${p.declaredLength}; the data segment is ${p.segment.length} bytes${also}`)
    }
  }
  if (tol.crc === 'off') {
    if (p.crcSent !== p.crcComputed) quirks.push('crc_unchecked')
  } else if (p.crcSent !== p.crcComputed) {
    if (tol.crc === 'swapped' && p.crcSent === swapCrc(p.crcComputed)) quirks.push('crc_swapped')
    else return fail('hj212_bad_crc', `CRC ${p.crcText} does not match ${formatCrc(p.crcComputed)} computed over the data segment${tol.crc === 'swapped' ? ` (nor its swapped form ${formatCrc(swapCrc(p.crcComputed))})` : ''}`)
  }
  return { ok: true, quirks }
}

/** True when the CRC sent is the computed one in either byte order (used before the device is known). */
export function crcPlausible (p: Packet): boolean {
  return p.crcSent === p.crcComputed || p.crcSent === swapCrc(p.crcComputed)
}

/** Characters (code points) of a string. */
function countChars (s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

const HEADER_KEYS: Record<string, keyof Frame> = { QN: 'qn', ST: 'st', CN: 'cn', PW: 'pw', MN: 'mn' }
const CP_OPEN = 'CP=&&'

/** Reads a data segment's text into a Frame. Tolerant of empty items and a missing closing `&&`. */
export function decodeSegment (text: string): { ok: true, frame: Frame } | { ok: false, error: FrameError } {
  const cpAt = text.indexOf(CP_OPEN)
  if (cpAt < 0) return fail('hj212_missing_cp', 'the data segment has no CP=&&…&&')
  const frame: Frame = { cp: [] }
  for (const item of text.slice(0, cpAt).split(';')) {
    if (item === '') continue
    const eq = item.indexOf('=')
    const key = eq < 0 ? item : item.slice(0, eq)
    const value = eq < 0 ? '' : item.slice(eq + 1)
    const field = HEADER_KEYS[key]
    if (field) { (frame as unknown as Record<string, string>)[field] = value; continue }
    if (key === 'Flag' || key === 'PNUM' || key === 'PNO') {
      if (!/^[0-9]{1,4}$/.test(value)) return fail('hj212_bad_frame', `${key}=${JSON.stringify(value)} is not a number`)
      frame[key === 'Flag' ? 'flag' : key === 'PNUM' ? 'pnum' : 'pno'] = Number(value)
      continue
    }
    (frame.extra ??= []).push([key, value])
  }
  let body = text.slice(cpAt + CP_OPEN.length)
  const close = body.lastIndexOf('&&')
  if (close >= 0) body = body.slice(0, close) // a missing closing && is tolerated (2005-era loggers)
  frame.cp = decodeCp(body)
  return { ok: true, frame }
}

/** `a=1,b=2;c=3` → [[['a','1'],['b','2']],[['c','3']]]; empty items are dropped. */
export function decodeCp (body: string): CpGroup[] {
  const groups: CpGroup[] = []
  if (body === '') return groups
  for (const item of body.split(';')) {
    if (item === '') continue
    const group: CpGroup = []
    for (const pair of item.split(',')) {
      if (pair === '') continue
      const eq = pair.indexOf('=')
      group.push(eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)])
    }
    if (group.length > 0) groups.push(group)
  }
  return groups
}

/** The data segment text of a frame, fields in the standard's order (§6.3.2). */
export function encodeSegment (f: Frame): string {
  let s = ''
  if (f.qn !== undefined) s += `QN=${f.qn};`
  if (f.st !== undefined) s += `ST=${f.st};`
  if (f.cn !== undefined) s += `CN=${f.cn};`
  if (f.pw !== undefined) s += `PW=${f.pw};`
  if (f.mn !== undefined) s += `MN=${f.mn};`
  if (f.flag !== undefined) s += `Flag=${f.flag};`
  if (f.pnum !== undefined) s += `PNUM=${f.pnum};`
  if (f.pno !== undefined) s += `PNO=${f.pno};`
  for (const [k, v] of f.extra ?? []) s += `${k}=${v};`
  return `${s}CP=&&${f.cp.map((g) => g.map(([k, v]) => `${k}=${v}`).join(',')).join(';')}&&`
}

/** How a frame is written: the standard, or one of the quirks real devices have (simulators use them). */
export interface EncodeOptions {
  /** Length field in bytes (standard) or characters. */
  length?: 'bytes' | 'chars'
  /** CRC printed standard, byte-swapped, in lower case, or deliberately wrong (tests). */
  crc?: 'standard' | 'swapped' | 'lower' | 'wrong'
}

/** A whole frame on the wire: `##` + length + segment + CRC + CR LF (§6.3.1). */
export function encodeFrame (f: Frame, opts: EncodeOptions = {}): Buffer {
  return encodeText(encodeSegment(f), opts)
}

/** Wraps a data segment's text in the envelope. */
export function encodeText (segment: string, opts: EncodeOptions = {}): Buffer {
  const body = Buffer.from(segment, 'utf8')
  const length = opts.length === 'chars' ? countChars(segment) : body.length
  let crc = crc212(body)
  if (opts.crc === 'swapped') crc = swapCrc(crc)
  if (opts.crc === 'wrong') crc ^= 0x0101
  let crcText = formatCrc(crc)
  if (opts.crc === 'lower') crcText = crcText.toLowerCase()
  const head = `##${String(length).padStart(4, '0')}`
  return Buffer.concat([Buffer.from(head, 'latin1'), body, Buffer.from(`${crcText}\r\n`, 'latin1')])
}

/** The value of a CP pair anywhere in the frame (first match), e.g. cpValue(f, 'DataTime'). */
export function cpValue (f: Frame, name: string): string | undefined {
  for (const g of f.cp) for (const [k, v] of g) if (k === name) return v
  return undefined
}
