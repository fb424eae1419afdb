import { MINUTE } from '../../core/time.js'
import { emptyPlan, endingNow, type Scenario } from './types.js'

/** A steady normal flow while the test harness stops the telemetry store: nothing may be lost, no alert. */
export const storeOutage: Scenario = {
  name: 'store-outage',
  description: 'Normal operation at a steady rate; the test harness stops and restarts the telemetry store meanwhile. Every reading must end up stored (spool); no alerts.',
  durationMs: 30 * MINUTE,
  defaultStart: endingNow,
  plan: () => emptyPlan('steady normal flow (the harness stops the store)')
}
