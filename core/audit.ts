/**
 * The audit log's record shape and its hash chain, shared by the state store (which appends),
 * the audit part (verify, exports) and the API. Every record holds the hash of the one before
 * it: hash = SHA-256 over the canonical JSON (RFC 8785 style: keys sorted by UTF-16 code units,
 * no whitespace, ECMAScript number formatting) of { seq, at, site, actor, action, target, detail,
 * prev }. Changing, removing or reordering a record breaks the chain from there on. A digest
 * record (action `audit.digest`) closes each Beijing day that has records, holding the chain head
 * at its end, so a day's head can be printed, sent out and compared later.
 */
import { createHash } from 'node:crypto'

/** prev of the first record. */
export const GENESIS_HASH = '0'.repeat(64)
/** The action of a daily digest record. */
export const DIGEST_ACTION = 'audit.digest'
/** The actor of records the system writes itself (alert engine transitions, digests). */
export const SYSTEM_ACTOR = 'system'

/**
 * What a part appends: `action` is namespaced by the part (`alert.transition`, `alert.comment`,
 * `alert.close`, `device.disable`, ...), `actor` is the token or account name (or `system`),
 * `target` what it acted on (an alert id, a device id), `detail` any JSON object.
 */
export interface NewAuditEntry {
  /** Wall-clock time of the action (the injected Clock), epoch ms. */
  at: number
  site: string | null
  actor: string
  action: string
  target: string | null
  detail: Readonly<Record<string, unknown>>
}

export interface AuditRecord extends NewAuditEntry {
  /** 1, 2, 3, ... with no gaps. */
  seq: number
  /** Hash of the record before (GENESIS_HASH for seq 1), hex. */
  prev: string
  /** SHA-256 of this record's canonical JSON, hex. */
  hash: string
}

/** Detail of a digest record. */
export interface DigestDetail {
  /** Beijing date the digest closes, YYYY-MM-DD. */
  day: string
  /** Hash of the day's last record (the chain head at the day's end). */
  head: string
  /** Records since the previous digest (this day's records, the digest not included). */
  records: number
}

/** Canonical JSON: object keys sorted, no whitespace, undefined members dropped; throws on non-finite numbers. */
export function canonicalJson (v: unknown): string {
  if (v === null) return 'null'
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`audit records hold finite numbers only, got ${String(v)}`)
      return JSON.stringify(v)
    case 'string': case 'boolean':
      return JSON.stringify(v)
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`
      const o = v as Record<string, unknown>
      const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort()
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`
    }
    default:
      throw new TypeError(`audit records hold JSON values only, got ${typeof v}`)
  }
}

/** The hash of a record (every field but `hash`). */
export function auditHash (r: Omit<AuditRecord, 'hash'>): string {
  const body = canonicalJson({ seq: r.seq, at: r.at, site: r.site, actor: r.actor, action: r.action, target: r.target, detail: r.detail, prev: r.prev })
  return createHash('sha256').update(body, 'utf8').digest('hex')
}

/** Chains `entry` after the record `last` (undefined for the first). */
export function chainRecord (last: Pick<AuditRecord, 'seq' | 'hash'> | undefined, entry: NewAuditEntry): AuditRecord {
  const r = { seq: (last?.seq ?? 0) + 1, at: entry.at, site: entry.site, actor: entry.actor, action: entry.action, target: entry.target, detail: entry.detail, prev: last?.hash ?? GENESIS_HASH }
  return { ...r, hash: auditHash(r) }
}
