/** Every scenario by name. docs/simulators.md describes each with the alerts it must cause. */
import type { Scenario } from './types.js'
import { normalDay } from './normal-day.js'
import { dustExceedance } from './dust-exceedance.js'
import { boundaryBreach } from './boundary-breach.js'
import { zoneIntrusion } from './zone-intrusion.js'
import { recyclingDrop } from './recycling-drop.js'
import { overCapacity } from './over-capacity.js'
import { deviceOffline } from './device-offline.js'
import { badPayloads } from './bad-payloads.js'
import { storeOutage } from './store-outage.js'
import { dataQuality } from './data-quality.js'
import { noiseExceedance } from './noise-exceedance.js'
import { personMotionless } from './person-motionless.js'
import { tagLost } from './tag-lost.js'
import { sos } from './sos.js'
import { zoneOvercrowded } from './zone-overcrowded.js'
import { zoneOverstay } from './zone-overstay.js'
import { overSpeed } from './over-speed.js'
import { energyIntensity } from './energy-intensity.js'
import { MinewatchError } from '../../core/errors.js'

export const SCENARIOS: readonly Scenario[] = [
  normalDay, dustExceedance, boundaryBreach, zoneIntrusion, recyclingDrop, overCapacity, deviceOffline, dataQuality, noiseExceedance, personMotionless, tagLost, sos, zoneOvercrowded, zoneOverstay, overSpeed, energyIntensity, badPayloads, storeOutage
]

/** The scenario called `name`; MW_BAD_REQUEST listing the known ones otherwise. */
export function scenario (name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name)
  if (!s) throw new MinewatchError('MW_BAD_REQUEST', `unknown scenario '${name}' (have: ${SCENARIOS.map((x) => x.name).join(', ')})`)
  return s
}

export type { Scenario, ScenarioPlan, ScenarioContext, ExpectedAlert } from './types.js'
