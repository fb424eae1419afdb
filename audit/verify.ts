/**
 * Verifies the audit log's hash chain (core/audit.ts) page by page: every record's hash
 * recomputed from its content, every prev equal to the hash before it, seqs 1, 2, 3, ... with no
 * gap (a removed record), and every daily digest holding the head and count of its day. Reports
 * the first bad record. A removed newest record leaves no trace in the file itself: compare the
 * head with the last digest printed or exported (GET /api/v1/audit) to catch that.
 */
import { auditHash, DIGEST_ACTION, GENESIS_HASH, type AuditRecord } from '../core/audit.js'
import type { AuditStore } from '../store/state.js'

export interface VerifyResult {
  ok: boolean
  /** Records checked. */
  records: number
  /** Hash of the newest record (GENESIS_HASH for an empty log). */
  head: string
  digests: number
  /** The first bad record (or the seq where one is missing), with why. */
  firstBad?: { seq: number, problem: string }
}

/** Checks one record against the one before it; returns the problem, or null. */
export function checkRecord (r: AuditRecord, prev: AuditRecord | undefined, sinceDigest: number): string | null {
  const expectedSeq = (prev?.seq ?? 0) + 1
  if (r.seq !== expectedSeq) return r.seq > expectedSeq ? `record ${expectedSeq}${r.seq - expectedSeq > 1 ? `–${r.seq - 1}` : ''} missing (removed)` : `seq ${r.seq} out of order`
  if (r.prev !== (prev?.hash ?? GENESIS_HASH)) return 'prev does not match the hash of the record before it (a record before it was altered, removed or inserted)'
  if (auditHash(r) !== r.hash) return 'content does not match its hash (the record was altered)'
  if (r.action === DIGEST_ACTION) {
    const d = r.detail as { head?: unknown, records?: unknown }
    if (d.head !== prev?.hash) return 'daily digest does not hold the head of its day'
    if (d.records !== sinceDigest) return `daily digest counts ${String(d.records)} records, the chain holds ${sinceDigest} since the previous digest`
  }
  return null
}

/** Walks the whole log; `pageSize` records per read. */
export async function verifyAudit (store: AuditStore, pageSize = 5000): Promise<VerifyResult> {
  let prev: AuditRecord | undefined
  let records = 0; let digests = 0; let sinceDigest = 0
  for (;;) {
    const page = await store.page(prev?.seq ?? 0, pageSize)
    if (page.length === 0) break
    for (const r of page) {
      const problem = checkRecord(r, prev, sinceDigest)
      const seq = problem !== null && problem.startsWith('record ') ? (prev?.seq ?? 0) + 1 : r.seq
      if (problem !== null) return { ok: false, records, head: prev?.hash ?? GENESIS_HASH, digests, firstBad: { seq, problem } }
      records++
      if (r.action === DIGEST_ACTION) { digests++; sinceDigest = 0 } else sinceDigest++
      prev = r
    }
  }
  return { ok: true, records, head: prev?.hash ?? GENESIS_HASH, digests }
}
