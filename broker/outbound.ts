/**
 * Per-subscriber outbound bound. aedes delivers a message to every matching subscriber through
 * mqemitter, which waits for all of them (at most 100 messages in flight): a subscriber whose
 * socket stopped draining held those slots until `drainTimeout` and delayed delivery to every
 * other client, every site (25 s, +160 MiB). Here each client's deliver functions are wrapped
 * (aedes 1.2 captures `client.deliver0` / `client.deliverQoS` when a subscription is made,
 * lib/handlers/subscribe.js): the emitter is released at once, and the bytes handed to the
 * client but not yet written out are counted. A client over `maxBytes` is disconnected: a slow
 * reader only hurts itself. A persistent session loses nothing: its QoS 1 messages were
 * persisted before delivery and are sent again when it reconnects.
 */
import type { Client } from 'aedes'

type Deliver = (packet: { topic: string, payload: Buffer | string }, cb: () => void) => void

/** Bytes counted per message beyond topic and payload (fixed header, packet id, topic length). */
const OVERHEAD = 8

/** Wraps `client`'s delivery; `onOverflow` is called once, with the bytes pending, when the bound is passed. */
export function boundOutbound (client: Client, maxBytes: number, onOverflow: (pendingBytes: number) => void): void {
  const c = client as unknown as { deliver0: Deliver, deliverQoS: Deliver }
  let pending = 0
  let overflowed = false
  const wrap = (deliver: Deliver): Deliver => function boundedDeliver (packet, cb) {
    if (overflowed) { cb(); return }
    const size = OVERHEAD + Buffer.byteLength(packet.topic) + (typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length)
    if (pending + size > maxBytes) {
      overflowed = true
      cb()
      onOverflow(pending)
      return
    }
    pending += size
    deliver(packet, () => { pending -= size })
    cb() // the emitter (and every other subscriber) does not wait for this socket
  }
  c.deliver0 = wrap(c.deliver0)
  c.deliverQoS = wrap(c.deliverQoS)
}
