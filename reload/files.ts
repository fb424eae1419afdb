/** Files in the data dir through which `minewatch reload` finds and hears from the running instance (docs/operations.md). */
import { readFileSync } from 'node:fs'

/** The running process's id: `minewatch reload` signals it. */
export const PID_FILE = 'minewatch.pid'
/** The last reload's report (JSON, written atomically): `minewatch reload` waits for it. */
export const RELOAD_STATUS_FILE = 'reload.json'

/** The pid in a pid file, or undefined when there is none or it is not a number. */
export function readPid (file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}
