/**
 * Seeded pseudo-random numbers for the simulators: mulberry32 (32-bit state, fast,
 * good enough for noise) plus a string hash, so every device gets its own stream
 * derived from (seed, device id) and adding a device never changes the others.
 */

/** FNV-1a over the parts joined by '/', as an unsigned 32-bit integer. */
export function hashSeed (...parts: Array<string | number>): number {
  let h = 0x811c9dc5
  const text = parts.join('/')
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** mulberry32 step on a 32-bit state; returns [0, 1). */
function mulberry32 (state: number): { state: number, value: number } {
  const s = (state + 0x6d2b79f5) | 0
  let t = Math.imul(s ^ (s >>> 15), 1 | s)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return { state: s, value: ((t ^ (t >>> 14)) >>> 0) / 4294967296 }
}

/** A deterministic random stream. */
export class Rng {
  private state: number
  private spare: number | undefined

  constructor (seed: number) { this.state = seed | 0 }

  /** A child stream named `name`: independent of how much this one was used. */
  static of (...parts: Array<string | number>): Rng { return new Rng(hashSeed(...parts)) }

  /** Uniform in [0, 1). */
  next (): number {
    const r = mulberry32(this.state)
    this.state = r.state
    return r.value
  }

  uniform (min: number, max: number): number { return min + (max - min) * this.next() }

  /** Integer in [min, max] inclusive. */
  int (min: number, max: number): number { return min + Math.floor(this.next() * (max - min + 1)) }

  chance (p: number): boolean { return this.next() < p }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)]!
  }

  /** Normal deviate (Box–Muller, the second value kept for the next call). */
  normal (mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const v = this.spare
      this.spare = undefined
      return mean + sd * v
    }
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return mean + sd * r * Math.cos(2 * Math.PI * v)
  }
}

/**
 * Smooth noise in [0, 1] as a pure function of time: random values at knots every
 * `periodMs`, cosine-interpolated. Any instant can be evaluated in any order.
 */
export function valueNoise (seed: number, t: number, periodMs: number): number {
  const x = t / periodMs
  const k = Math.floor(x)
  const f = x - k
  const a = knot(seed, k)
  const b = knot(seed, k + 1)
  const w = (1 - Math.cos(Math.PI * f)) / 2
  return a * (1 - w) + b * w
}

/** Uniform [0, 1) value for integer knot k of stream `seed` (integer hash, no allocation: hot path). */
function knot (seed: number, k: number): number {
  let h = (seed ^ Math.imul(k | 0, 0x9e3779b1) ^ Math.imul(Math.floor(k / 4294967296), 0x85ebca6b)) | 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
  h ^= h >>> 16
  return mulberry32(h).value
}
