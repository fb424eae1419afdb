/**
 * The range of an export for inspectors (issue 19 point 5): Beijing calendar days `from` … `to`,
 * both inclusive, at most MAX_EXPORT_DAYS. The API route and `minewatch export` both use it.
 */
import { MinewatchError } from '../core/errors.js'
import { DAY, beijingDateToMs } from '../core/time.js'

/** Longest range one export may span, days. */
export const MAX_EXPORT_DAYS = 366

/** [from, to) in epoch ms of the days 'YYYY-MM-DD' … 'YYYY-MM-DD'; MW_BAD_REQUEST naming the parameter otherwise. */
export function exportDayRange (fromDate: string, toDate: string): { from: number, to: number } {
  const from = beijingDateToMs(fromDate)
  const last = beijingDateToMs(toDate)
  if (Number.isNaN(from)) throw new MinewatchError('MW_BAD_REQUEST', `from: '${fromDate}' is not a calendar day (YYYY-MM-DD)`)
  if (Number.isNaN(last)) throw new MinewatchError('MW_BAD_REQUEST', `to: '${toDate}' is not a calendar day (YYYY-MM-DD)`)
  if (last < from) throw new MinewatchError('MW_BAD_REQUEST', 'to: must be on or after from')
  const to = last + DAY
  if ((to - from) / DAY > MAX_EXPORT_DAYS) throw new MinewatchError('MW_BAD_REQUEST', `to: at most ${MAX_EXPORT_DAYS} days per export; split the range`)
  return { from, to }
}
