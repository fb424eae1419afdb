/**
 * sos (紧急呼救): a tag's SOS button (locator reading `sos` = 1). Personnel positioning systems
 * raise an emergency call from the tag (AQ 6210-2007, AQ/T 2051-2016; domain.md §5), so it is an
 * alarm that fires at once, on the first fix with the button raised: no consecutive-fix or
 * accuracy discipline, since the call does not depend on where the fix lies.
 * It never resolves from readings: a person in trouble may not be able to clear the tag, so only
 * an operator acknowledges and closes it. A tag that keeps sending `sos` = 1 after the close does
 * not fire again until it has sent a fix without the call (`sos` = 0 or absent) and raises it anew.
 */
import { fire, NO_SIGNAL, type Signal } from './signal.js'

export const SOS_STANDARD = 'AQ 6210-2007 / AQ/T 2051-2016 紧急呼叫'

export interface SosState {
  /** The tag's last fix had the button raised (an open alert, or one an operator closed while it stays raised). */
  raised: boolean
  lastTs: number
}

export function createSosState (): SosState {
  return { raised: false, lastTs: -Infinity }
}

/** One fix of one tag: `sos` true when the fix carries the raised button. The signal's value is 1. */
export function evaluateSos (s: SosState, sos: boolean, ts: number): Signal | null {
  if (ts <= s.lastTs) return NO_SIGNAL // a late fix says nothing about the button now
  s.lastTs = ts
  if (!sos) { s.raised = false; return NO_SIGNAL }
  if (s.raised) return NO_SIGNAL
  s.raised = true
  return fire(ts, 'alarm', 1, null, 'sos_raised')
}
