import { DAY } from '../../core/time.js'
import { emptyPlan, endingNow, type Scenario } from './types.js'

/** A normal day: every device within its normal range; no alert at all. */
export const normalDay: Scenario = {
  name: 'normal-day',
  description: 'A normal working day on every simulated site: day/night dust pattern, trucks on haul roads, people between work areas, recycling 0.895–0.92, production at 0.8 × licence pace. No alerts.',
  durationMs: DAY,
  defaultStart: endingNow,
  plan: () => emptyPlan('normal operation on every site')
}
