/**
 * Budget of MQTT connections that have not had their CONNACK yet (issue 13, like sshd's
 * MaxStartups). Node accepts every connection the kernel has queued in one turn of the event
 * loop, and each costs an aedes client, a parser and stream buffers before its CONNECT is even
 * read: a flood of 1,000 logins a second that minewatch falls behind on comes back as thousands
 * of handles built in one turn (event-loop stalls of a second, PUBACKs and /healthz waiting).
 * Past the budget a new connection is closed as it is accepted, for the price of a counter, and
 * the client tries again later (MQTT 3.1.1 §3.1.4 lets a server close without CONNACK). A
 * per-address share keeps one address (or a few slow-CONNECT holders) from taking it all; the
 * CONNECT deadline (CONNECT_TIMEOUT_MS) bounds how long a silent connection holds its slot.
 */
import { AddressCap } from '../core/connection-caps.js'

/** Connections without CONNACK yet, all addresses together. */
export const PENDING_MAX = 256
/** Connections without CONNACK yet, per address (a mine's NAT reconnecting its devices gets this many at a time). */
export const PENDING_PER_ADDRESS = 32
/** How long a connection may take to send CONNECT before it is closed, ms (aedes' default is 30 s). */
export const CONNECT_TIMEOUT_MS = 10_000 // 10 s

export class PendingConnects {
  private total = 0
  private readonly perAddress: AddressCap

  constructor (readonly max = PENDING_MAX, perAddress = PENDING_PER_ADDRESS) {
    this.perAddress = new AddressCap(perAddress)
  }

  /** How many connections are waiting for their CONNACK now. */
  get size (): number { return this.total }

  /** Takes a slot for a new connection from `address`; returns its release (call it at CONNACK or close; extra calls do nothing), or undefined when over budget. */
  take (address: string): (() => void) | undefined {
    if (this.total >= this.max || !this.perAddress.take(address)) return undefined
    this.total++
    let held = true
    return () => {
      if (!held) return
      held = false
      this.total--
      this.perAddress.release(address)
    }
  }
}
