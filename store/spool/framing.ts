/** The spool's record framing: moved to store/segments/framing.ts (shared with the uplink queue). */
export * from '../segments/framing.js'
