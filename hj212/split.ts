/**
 * Split messages (Flag bit D, PNUM/PNO, §6.3.2): packets of one message are collected per
 * (MN, QN, CN) and merged, CP groups in PNO order, once all PNUM have arrived. A message whose
 * packets do not all arrive within the timeout is given up (expire()). Pure: time is passed in.
 */
import { FLAG_SPLIT, type Frame } from './frame.js'

/** PNUM above this is refused: bounds the memory one connection can pin. */
export const MAX_PACKETS = 256

interface Pending { parts: Map<number, Frame>, pnum: number, firstAt: number }

export type SplitResult =
  | { state: 'whole', frame: Frame }
  | { state: 'partial' }
  | { state: 'complete', frame: Frame, parts: Frame[] }
  | { state: 'invalid', detail: string }

export class SplitAssembler {
  private readonly pending = new Map<string, Pending>()

  constructor (private readonly timeoutMs: number) {}

  /** Messages waiting for packets. */
  get size (): number { return this.pending.size }

  /** Adds a frame; a frame that is not split (or has the D bit without PNUM/PNO, a known quirk) is whole. */
  add (f: Frame, now: number): SplitResult {
    if (f.flag === undefined || (f.flag & FLAG_SPLIT) === 0 || f.pnum === undefined || f.pno === undefined) return { state: 'whole', frame: f }
    if (f.pnum < 1 || f.pnum > MAX_PACKETS) return { state: 'invalid', detail: `PNUM=${f.pnum}: 1 to ${MAX_PACKETS} packets accepted` }
    if (f.pno < 1 || f.pno > f.pnum) return { state: 'invalid', detail: `PNO=${f.pno} is outside 1..PNUM=${f.pnum}` }
    if (f.pnum === 1) return { state: 'whole', frame: merge([f]) }
    const key = `${f.mn ?? ''}\0${f.qn ?? ''}\0${f.cn ?? ''}`
    let p = this.pending.get(key)
    if (p && p.pnum !== f.pnum) return { state: 'invalid', detail: `PNUM=${f.pnum} differs from PNUM=${p.pnum} of earlier packets of QN ${f.qn ?? ''}` }
    if (!p) this.pending.set(key, p = { parts: new Map(), pnum: f.pnum, firstAt: now })
    p.parts.set(f.pno, f) // a repeated PNO replaces the earlier copy
    if (p.parts.size < p.pnum) return { state: 'partial' }
    this.pending.delete(key)
    const parts = [...p.parts.keys()].sort((a, b) => a - b).map((k) => p.parts.get(k)!)
    return { state: 'complete', frame: merge(parts), parts }
  }

  /** Removes and returns the messages older than the timeout, with the packets that did arrive. */
  expire (now: number): Array<{ pnum: number, parts: Frame[] }> {
    const out: Array<{ pnum: number, parts: Frame[] }> = []
    for (const [key, p] of this.pending) {
      if (now - p.firstAt < this.timeoutMs) continue
      this.pending.delete(key)
      out.push({ pnum: p.pnum, parts: [...p.parts.values()] })
    }
    return out
  }
}

/** One frame from the packets: the first packet's header without PNUM/PNO and D, all CP groups. */
function merge (parts: Frame[]): Frame {
  const first = parts[0]!
  const { pnum: _n, pno: _o, ...head } = first
  return { ...head, flag: (first.flag ?? 0) & ~FLAG_SPLIT, cp: parts.flatMap((p) => p.cp) }
}
