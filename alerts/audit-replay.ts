/** Reading back operator changes kept only in the audit log (API schedules, API rosters), to rebuild them at start. */
import type { AuditRecord } from '../core/audit.js'
import type { AuditStore } from '../store/state.js'

/** Audit records read per page. */
const REPLAY_PAGE = 1000

/** Every record of these actions, in the order they were made (by seq). */
export async function auditRecordsOf (audit: AuditStore, actions: readonly string[]): Promise<AuditRecord[]> {
  const records: AuditRecord[] = []
  for (const action of actions) {
    for (let after = 0; ;) {
      const page = await audit.list({ action, afterSeq: after, limit: REPLAY_PAGE })
      records.push(...page)
      if (page.length < REPLAY_PAGE) break
      after = page[page.length - 1]!.seq
    }
  }
  return records.sort((a, b) => a.seq - b.seq)
}
