/** Shard 3 of the scenarios through a whole minewatch (test/helpers/scenario-run.ts has the cases and the run). */
import { scenarioShard } from '../helpers/scenario-run.js'

scenarioShard(2)
