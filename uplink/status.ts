/** The uplink status file `<data-dir>/uplink/status.json` (what `minewatch uplink status` prints) and its text form. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TargetStatus } from './forwarder.js'

export const STATUS_FILE = 'status.json'

export interface UplinkStatus {
  /** When this status was taken, epoch ms. */
  at: number
  targets: TargetStatus[]
}

/** Reads `<data-dir>/uplink/status.json` (for the CLI); undefined when this data dir never uplinked. */
export function readUplinkStatus (dataDir: string): UplinkStatus | undefined {
  const path = join(dataDir, 'uplink', STATUS_FILE)
  if (!existsSync(path)) return undefined
  return JSON.parse(readFileSync(path, 'utf8')) as UplinkStatus
}

/** A status as text lines (the CLI). */
export function formatUplinkStatus (s: UplinkStatus, now: number): string {
  const lines = [`uplink status as of ${new Date(s.at).toISOString()} (${Math.round((now - s.at) / 1000)} s ago)`]
  for (const t of s.targets) {
    lines.push(`${t.name} → ${t.url} (site ${t.site}): ${t.connected ? 'connected' : 'DISCONNECTED'}${t.lastError ? ` (${t.lastError})` : ''}`)
    lines.push(`  backlog ${t.backlogItems} items, ${t.backlogBytes} of ${t.maxBytes} bytes${t.full ? ' (FULL)' : ''}; onFull ${t.onFull}: ${t.droppedItems} dropped, ${t.refusedItems} refused`)
    lines.push(`  acked ${t.ackedItems} items in ${t.ackedBatches} batches, ${t.wireBytes} bytes on the wire; last ack ${t.lastAckAt === null ? 'never' : new Date(t.lastAckAt).toISOString()}; ${t.ratePerS} items/s over the last minute`)
  }
  if (s.targets.length === 0) lines.push('no uplink targets configured')
  return lines.join('\n')
}
