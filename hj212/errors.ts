/** Typed problems of HJ 212 input. Each reason is also a reject reason (core/rejects.ts, docs/errors.md). */
import type { RejectReason } from '../core/rejects.js'

export type Hj212Reason = Extract<RejectReason, `hj212_${string}`>

export interface FrameError {
  reason: Hj212Reason
  /** Human-readable, stored as the reject's detail. */
  detail: string
}
