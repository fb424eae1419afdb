/**
 * Drives a simulation: takes messages in simulated-time order, paces them against
 * the wall clock (`speed` × real time, or as fast as acknowledgements allow) and
 * hands them to a publisher with a bounded number in flight.
 */
import type { Simulation } from './simulation.js'
import type { Publisher } from './publisher.js'

export interface RunProgress {
  /** Simulated time reached, epoch ms. */
  simTime: number
  /** Messages handed to the publisher / acknowledged / failed. */
  sent: number
  acked: number
  errors: number
  /** Readings in acknowledged messages. */
  readingsAcked: number
  /** Deliberately bad messages sent, and how many of them the publisher refused. */
  badSent: number
  badRefused: number
  /** Messages acknowledged per second since the last progress report. */
  rate: number
  wallMs: number
}

export interface RunOptions {
  sim: Simulation
  publisher: Publisher
  /** Simulated end, epoch ms (Infinity: until aborted). */
  end: number
  /** Simulated ms per wall ms; Infinity runs as fast as acknowledgements allow. */
  speed: number
  /** Messages in flight at most (default 256). */
  maxInflight?: number
  /** Hold back messages stamped more than this ahead of the wall clock, ms (real brokers reject future readings). */
  maxAheadMs?: number
  signal?: AbortSignal
  onProgress?: (p: RunProgress) => void
  /** Progress report period, wall ms (default 5 s). */
  progressEveryMs?: number
  /** Called for each failed publish of a good message. */
  onError?: (err: unknown, device: string) => void
  now?: () => number
}

export async function runSimulation (opts: RunOptions): Promise<RunProgress> {
  const now = opts.now ?? Date.now
  const maxInflight = opts.maxInflight ?? 256
  const every = opts.progressEveryMs ?? 5000 // 5 s
  const wall0 = now()
  const p: RunProgress = { simTime: opts.sim.start, sent: 0, acked: 0, errors: 0, readingsAcked: 0, badSent: 0, badRefused: 0, rate: 0, wallMs: 0 }
  let inflight = 0
  let wake: (() => void) | undefined
  let lastReport = wall0
  let lastAcked = 0
  const report = (force = false) => {
    const t = now()
    if (!opts.onProgress || (!force && t - lastReport < every)) return
    p.wallMs = t - wall0
    p.rate = ((p.acked - lastAcked) * 1000) / Math.max(1, t - lastReport)
    lastReport = t
    lastAcked = p.acked
    opts.onProgress({ ...p })
  }
  const ticker = opts.onProgress ? setInterval(() => report(), every) : undefined
  try {
    while (!opts.signal?.aborted) {
      const next = opts.sim.peekTime()
      if (next > opts.end) break
      // pace: wall time for simulated time `next`
      let waitMs = Number.isFinite(opts.speed) ? wall0 + (next - opts.sim.start) / opts.speed - now() : 0
      if (opts.maxAheadMs !== undefined) waitMs = Math.max(waitMs, next - opts.maxAheadMs - now())
      if (waitMs > 0) {
        await sleep(Math.min(waitMs, 1000), opts.signal)
        continue
      }
      const m = opts.sim.nextBefore(next)
      if (!m) continue
      while (inflight >= maxInflight) await new Promise<void>((resolve) => { wake = resolve })
      inflight++
      p.sent++
      p.simTime = m.t
      if (m.bad) p.badSent++
      opts.publisher.publish(m).then(() => {
        p.acked++
        p.readingsAcked += m.readings
      }, (err: unknown) => {
        if (m.bad) p.badRefused++
        else {
          p.errors++
          opts.onError?.(err, m.device)
        }
      }).finally(() => {
        inflight--
        const w = wake
        wake = undefined
        w?.()
      })
    }
    while (inflight > 0) await new Promise<void>((resolve) => { wake = resolve })
  } finally {
    if (ticker) clearInterval(ticker)
  }
  p.wallMs = now() - wall0
  report(true)
  return { ...p, wallMs: now() - wall0 }
}

function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done () { signal?.removeEventListener('abort', done); clearTimeout(timer); resolve() }
    signal?.addEventListener('abort', done, { once: true })
  })
}
