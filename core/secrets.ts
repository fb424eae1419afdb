/** Password and token hashing: scrypt, stored as `scrypt$N$r$p$salt$hash` (base64). */
import { randomBytes, scryptSync, timingSafeEqual, createHash } from 'node:crypto'

const N = 16384 // CPU/memory cost (2^14): ~15 ms per check on this class of machine
const R = 8
const P = 1
const KEYLEN = 32

export function hashSecret (secret: string, salt: Buffer = randomBytes(16)): string {
  const hash = scryptSync(secret, salt, KEYLEN, { N, r: R, p: P })
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`
}

export const SCRYPT_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/

export function verifySecret (secret: string, stored: string): boolean {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string]
  const expected = Buffer.from(hashB64, 'base64')
  const actual = scryptSync(secret, Buffer.from(saltB64, 'base64'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024
  })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/**
 * Verifies secrets and caches successes by a SHA-256 of (stored hash, secret), so a
 * device that reconnects (or an API token used per request) does not pay scrypt each time.
 */
export class SecretVerifier {
  private readonly ok = new Set<string>()
  constructor (private readonly maxEntries = 100_000) {}

  verify (secret: string, stored: string): boolean {
    const key = createHash('sha256').update(stored).update('\0').update(secret).digest('base64')
    if (this.ok.has(key)) return true
    const good = verifySecret(secret, stored)
    if (good) {
      if (this.ok.size >= this.maxEntries) this.ok.clear()
      this.ok.add(key)
    }
    return good
  }
}
