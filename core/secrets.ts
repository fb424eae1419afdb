/** Password and token hashing: scrypt, stored as `scrypt$N$r$p$salt$hash` (base64). */
import { randomBytes, scrypt, scryptSync, timingSafeEqual, createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { z } from 'zod'

const N = 16384 // CPU/memory cost (2^14): ~15 ms per check on this class of machine
/**
 * scrypt cost for a device secret minewatch generated itself (`minewatch hash-secret --for device --generate`):
 * 2^10, about 1 ms a check. A KDF's cost protects secrets a person chose, which an attacker can guess; a
 * generated secret is 256 random bits, which no guessing reaches at any hash speed. 16 × cheaper
 * checks are what lets 10,000 devices reconnect at once (after a broker restart) within the 60 s
 * of issue 15 on one scrypt slot, instead of minutes of CPU at 2^14.
 */
export const GENERATED_SECRET_N = 1024
/** Random bytes of a generated device secret: 256 bits. */
const GENERATED_SECRET_BYTES = 32
const R = 8
const P = 1
const KEYLEN = 32
/** scrypt needs 128·N·r bytes (16 MiB at N = 2^14); refuse stored hashes asking for more than this. */
const MAXMEM = 64 * 1024 * 1024

/** scrypt hash of `secret` at cost `n` (default 2^14; GENERATED_SECRET_N only for generateDeviceSecret()'s secrets). */
export function hashSecret (secret: string, salt: Buffer = randomBytes(16), n: number = N): string {
  const hash = scryptSync(secret, salt, KEYLEN, { N: n, r: R, p: P })
  return `scrypt$${n}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`
}

/** A new device secret: 256 random bits, base64url (43 characters), to be hashed at GENERATED_SECRET_N. */
export function generateDeviceSecret (): string {
  return randomBytes(GENERATED_SECRET_BYTES).toString('base64url')
}

/** The scrypt cost N a stored hash asks for, or undefined when it is not an scrypt hash. */
export function hashCost (stored: string): number | undefined {
  return parse(stored)?.opts.N
}

export const SCRYPT_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/

/** Cost a hash of a secret a person chose must have (accounts, API tokens): the default, 2^14. */
export const PERSON_SECRET_MIN_N = N

/**
 * What is wrong with a stored scrypt hash, or undefined when it is usable: N a power of two from `minN`
 * (GENERATED_SECRET_N for device secrets, PERSON_SECRET_MIN_N for accounts and tokens), within the
 * memory a check may take.
 */
export function scryptHashProblem (stored: string, minN: number): string | undefined {
  const h = parse(stored)
  if (!h) return 'is not scrypt$N$r$p$salt$hash'
  const { N: n, r, p } = h.opts
  if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0) return `has scrypt N = ${n}: N must be a power of two`
  if (n < minN) return `has scrypt N = ${n}, below ${minN} (a secret a person chose needs ${PERSON_SECRET_MIN_N}; ${GENERATED_SECRET_N} is only for device secrets from \`minewatch hash-secret --for device --generate\`)`
  if (!(r >= 1 && p >= 1 && p <= 16) || 128 * n * r > MAXMEM) return `has scrypt r = ${r}, p = ${p} at N = ${n}: a check would need more than ${MAXMEM / 2 ** 20} MiB or p is out of 1–16`
  return undefined
}

/** The config schema of a stored hash under `key` (its messages name the key), at least cost `minN`. */
export function scryptHashSchema (key: string, minN: number) {
  return z.string().regex(SCRYPT_HASH_PATTERN, `${key} must be scrypt$N$r$p$salt$hash (use \`minewatch hash-secret\`)`)
    .superRefine((v, ctx) => { const problem = scryptHashProblem(v, minN); if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${key} ${problem}` }) })
}

interface Parsed { salt: Buffer, expected: Buffer, opts: { N: number, r: number, p: number, maxmem: number } }

function parse (stored: string): Parsed | undefined {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string]
  return { salt: Buffer.from(saltB64, 'base64'), expected: Buffer.from(hashB64, 'base64'), opts: { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM } }
}

/** Synchronous check (CLI and tests only: it blocks the event loop for one scrypt). */
export function verifySecret (secret: string, stored: string): boolean {
  const h = parse(stored)
  if (!h) return false
  const actual = scryptSync(secret, h.salt, h.expected.length, h.opts)
  return actual.length === h.expected.length && timingSafeEqual(actual, h.expected)
}

/** The same check on the libuv thread pool: the event loop goes on meanwhile. Never rejects. */
export async function verifySecretAsync (secret: string, stored: string): Promise<boolean> {
  const h = parse(stored)
  if (!h) return false
  return await new Promise((resolve) => {
    scrypt(secret, h.salt, h.expected.length, h.opts, (err, actual) => {
      resolve(!err && actual.length === h.expected.length && timingSafeEqual(actual, h.expected))
    })
  })
}

/** A hash at cost `n` that no secret matches (random salt and digest). */
export function dummyHash (n: number = N): string {
  return `scrypt$${n}$${R}$${P}$${randomBytes(16).toString('base64')}$${randomBytes(KEYLEN).toString('base64')}`
}

/** A hash no secret matches, checked for unknown usernames so they cost what known ones cost. */
export const DUMMY_HASH = dummyHash()

/** Recent failures remembered: a replayed wrong secret costs no second scrypt. */
const FAILED_ENTRIES = 4096

/**
 * scrypt slots for the whole process. Every SecretVerifier (broker logins, API tokens, HJ 212
 * PW) bounds its own checks, but each alone would still take a core under a flood: with three
 * of them on a 2-core machine, scrypt took both cores and the event loop (every PUBACK, every
 * /healthz, every accept) waited for CPU. A check runs only while it holds one of these slots.
 */
export class ScryptSlots {
  private free: number
  private readonly waiting: Array<() => void> = []

  constructor (readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`scrypt slots must be a whole number ≥ 1, got ${size}`)
    this.free = size
  }

  /** True when a slot is free right now. */
  get available (): boolean { return this.free > 0 }

  /** Takes a slot, waiting in arrival order when none is free. Give it back with release(). */
  async acquire (): Promise<void> {
    if (this.free > 0) { this.free--; return }
    await new Promise<void>((resolve) => this.waiting.push(resolve))
  }

  release (): void {
    const next = this.waiting.shift()
    if (next) next() // the slot passes on
    else this.free++
  }
}

/**
 * The process's default: one core is left to the event loop (1 slot on a 2-core machine);
 * MINEWATCH_SCRYPT_CONCURRENCY overrides it (a whole number ≥ 1).
 */
export function defaultScryptSlots (env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const text = env.MINEWATCH_SCRYPT_CONCURRENCY
  if (text === undefined || text === '') return Math.max(1, cores - 1)
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new Error(`MINEWATCH_SCRYPT_CONCURRENCY must be a whole number ≥ 1, got '${text}'`)
  return n
}

let processSlots: ScryptSlots | undefined
/** The slots every verifier shares unless given its own. */
export function sharedScryptSlots (): ScryptSlots {
  processSlots ??= new ScryptSlots(defaultScryptSlots())
  return processSlots
}

/** Outcome of one check: `busy` when the verifier's queue is full (nothing was checked; retry later). */
export type Verdict = 'ok' | 'bad' | 'busy'

export interface VerifierOptions {
  /** scrypt checks running at once on the libuv pool (default 1: leaves the other pool threads to fs and DuckDB). */
  concurrency?: number
  /** Checks waiting for a slot (default 16: at ~50 ms a check, under a second of waiting); beyond this a check is refused as busy at once. */
  maxQueue?: number
  /** Successes (and, separately, failures) remembered. */
  maxEntries?: number
  /** Told every check's outcome (`cached` when answered from the cache), e.g. a metric. */
  onOutcome?: (outcome: Verdict | 'cached') => void
  /** The process-wide scrypt slots this verifier's checks also need (default sharedScryptSlots()). */
  slots?: ScryptSlots
}

/**
 * Verifies secrets asynchronously with bounded concurrency and a bounded queue, and caches
 * successes and recent failures by a SHA-256 of (stored hash, secret): a device that
 * reconnects, or an API token used per request, pays scrypt once; a wrong secret replayed
 * pays it once too. A flood of new wrong secrets costs at most `concurrency` scrypt at a
 * time, and all verifiers together at most the process's ScryptSlots; the excess is answered
 * `busy` without any work.
 */
export class SecretVerifier {
  private readonly ok = new Set<string>()
  private readonly failed = new Set<string>()
  private readonly waiting: Array<() => void> = []
  private running = 0
  private readonly concurrency: number
  private readonly maxQueue: number
  private readonly maxEntries: number
  private readonly slots: ScryptSlots

  constructor (private readonly opts: VerifierOptions = {}) {
    this.concurrency = opts.concurrency ?? 1
    this.maxQueue = opts.maxQueue ?? 16
    this.maxEntries = opts.maxEntries ?? 100_000
    this.slots = opts.slots ?? sharedScryptSlots()
  }

  private key (secret: string, stored: string): string {
    return createHash('sha256').update(stored).update('\0').update(secret).digest('base64')
  }

  /** True when `secret` was verified against `stored` before (no scrypt). */
  isVerified (secret: string, stored: string): boolean {
    return this.ok.has(this.key(secret, stored))
  }

  /** True when no check is running or waiting. */
  get idle (): boolean {
    return this.running === 0 && this.waiting.length === 0
  }

  /** Checks `secret` against `stored`. `lowPriority`: only when a slot is free right now, else busy. */
  async verify (secret: string, stored: string, opts: { lowPriority?: boolean } = {}): Promise<Verdict> {
    return await this.check(secret, stored, this.key(secret, stored), opts.lowPriority === true)
  }

  /**
   * What an unknown username `name` costs: one scrypt against a hash nothing matches (`stored`, a
   * dummyHash() of the known credentials' usual cost), cached as a failure exactly like a known user's
   * wrong secret, so neither a first nor a repeated guess tells the two apart by time. Always bad (or busy).
   */
  async dummy (name: string, secret: string, stored: string = DUMMY_HASH): Promise<Verdict> {
    const v = await this.check(secret, stored, this.key(secret, `${stored}\0${name}`), false)
    return v === 'busy' ? 'busy' : 'bad'
  }

  private async check (secret: string, stored: string, key: string, lowPriority: boolean): Promise<Verdict> {
    if (this.ok.has(key)) { this.opts.onOutcome?.('cached'); return 'ok' }
    if (this.failed.has(key)) { this.opts.onOutcome?.('cached'); return 'bad' }
    const v = await this.run(() => verifySecretAsync(secret, stored), lowPriority)
    if (v === 'ok') remember(this.ok, key, this.maxEntries)
    else if (v === 'bad') remember(this.failed, key, Math.min(this.maxEntries, FAILED_ENTRIES))
    this.opts.onOutcome?.(v)
    return v
  }

  private async run (check: () => Promise<boolean>, lowPriority: boolean): Promise<Verdict> {
    if (this.running >= this.concurrency) {
      if (lowPriority || this.waiting.length >= this.maxQueue) return 'busy'
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    } else {
      if (lowPriority && !this.slots.available) return 'busy'
      this.running++
    }
    try {
      await this.slots.acquire()
      try {
        return (await check()) ? 'ok' : 'bad'
      } finally {
        this.slots.release()
      }
    } finally {
      const next = this.waiting.shift()
      if (next) next() // the slot passes on: running stays the same
      else this.running--
    }
  }
}

/** Adds to a bounded set, forgetting the oldest entry first. */
function remember (set: Set<string>, key: string, max: number): void {
  if (set.size >= max) set.delete(set.values().next().value as string)
  set.add(key)
}
