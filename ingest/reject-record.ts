/** Turns a step's rejection into the stored `Reject` record, payload cut to REJECT_PAYLOAD_MAX_BYTES. */
import { REJECT_PAYLOAD_MAX_BYTES, type Reject } from '../core/rejects.js'
import type { Rejection } from './step.js'

/** The payload as UTF-8 text, at most `max` bytes, never ending inside a multi-byte character. */
export function truncatePayload (payload: Buffer, max = REJECT_PAYLOAD_MAX_BYTES): string {
  if (payload.length <= max) return payload.toString('utf8')
  let end = max
  while (end > 0 && (payload[end]! & 0xc0) === 0x80) end-- // step back over UTF-8 continuation bytes
  return payload.subarray(0, end).toString('utf8')
}

export interface RejectContext {
  at: number
  site: string | null
  device: string | null
  topic: string
  payload: Buffer
}

export function toReject (r: Rejection, ctx: RejectContext): Reject {
  return {
    at: ctx.at,
    site: ctx.site,
    device: ctx.device,
    topic: ctx.topic,
    reason: r.reason,
    detail: r.detail,
    count: r.count,
    payload: truncatePayload(ctx.payload)
  }
}
