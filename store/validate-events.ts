/** Checks alert events before they are written to alert_events (same rules as readings: refuse, never half-write). */
import { ALERT_KINDS, ALERT_STATES, type AlertTransition } from '../core/alerts.js'
import { MinewatchError } from '../core/errors.js'

function bad (i: number, problem: string): MinewatchError {
  return new MinewatchError('MW_STORE_REJECTED', `alert event [${i}]: ${problem}`)
}

const nullableNumber = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v))
const nullableString = (v: unknown): boolean => v === null || typeof v === 'string'

/** Throws MW_STORE_REJECTED naming the first malformed transition. */
export function validateAlertEvents (events: readonly AlertTransition[]): void {
  events.forEach((t, i) => {
    if (t === null || typeof t !== 'object') throw bad(i, 'not an object')
    if (!Number.isSafeInteger(t.seq) || t.seq < 0) throw bad(i, `seq must be a non-negative integer, got ${String(t.seq)}`)
    if (!Number.isSafeInteger(t.at) || t.at < 0) throw bad(i, `at must be a non-negative integer of epoch ms, got ${String(t.at)}`)
    for (const k of ['alertId', 'site', 'severity', 'reason', 'message'] as const) {
      if (typeof t[k] !== 'string') throw bad(i, `${k} must be a string`)
    }
    if (!(ALERT_KINDS as readonly string[]).includes(t.kind)) throw bad(i, `unknown alert kind ${JSON.stringify(t.kind)}`)
    if (!(ALERT_STATES as readonly string[]).includes(t.to)) throw bad(i, `unknown state ${JSON.stringify(t.to)} in to`)
    if (t.from !== null && !(ALERT_STATES as readonly string[]).includes(t.from)) throw bad(i, `unknown state ${JSON.stringify(t.from)} in from`)
    if (!nullableNumber(t.value)) throw bad(i, 'value must be a finite number or null')
    if (!nullableNumber(t.limit)) throw bad(i, 'limit must be a finite number or null')
    if (!nullableString(t.by)) throw bad(i, 'by must be a string or null')
  })
}
