/**
 * DeviceChangeStore on the state file: the device lifecycle changes made through the API
 * (devices/), append-only. Nothing updates or deletes a row.
 */
import { MinewatchError } from '../../core/errors.js'
import type { Device } from '../../core/sites.js'
import { DEVICE_ACTIONS, type DeviceChange, type DeviceChangeStore } from '../state.js'
import { int, runPrepared, type Row, type StateDb } from './state-db.js'

const INSERT = 'INSERT INTO device_changes (seq, "at", "by", action, device, site, reason, spec) ' +
  'VALUES ($seq::BIGINT, $at::BIGINT, $by, $action, $device, $site, $reason, $spec)'

export function rowToChange (r: Row): DeviceChange {
  return {
    seq: int(r.seq),
    at: int(r.at),
    by: r.by as string,
    action: r.action as DeviceChange['action'],
    device: r.device as string,
    site: r.site as string,
    reason: r.reason as string,
    spec: r.spec === null ? null : JSON.parse(r.spec as string) as Device
  }
}

export function checkDeviceChange (c: Omit<DeviceChange, 'seq'>): void {
  const bad = (p: string): never => { throw new MinewatchError('MW_BAD_REQUEST', `device change: ${p}`) }
  if (!Number.isSafeInteger(c.at) || c.at < 0) bad(`at must be epoch ms, got ${String(c.at)}`)
  for (const k of ['by', 'device', 'site', 'reason'] as const) if (typeof c[k] !== 'string' || c[k].trim() === '') bad(`${k} must be a non-empty string`)
  if (!DEVICE_ACTIONS.includes(c.action)) bad(`action must be one of ${DEVICE_ACTIONS.join(', ')}, got ${String(c.action)}`)
  if ((c.action === 'add' || c.action === 'replace') !== (c.spec !== null && typeof c.spec === 'object')) bad(`${c.action} ${c.action === 'add' || c.action === 'replace' ? 'needs' : 'takes no'} spec`)
}

export class DuckDBDeviceChangeStore implements DeviceChangeStore {
  private constructor (private readonly db: StateDb, private nextSeq: number) {}

  static async open (db: StateDb): Promise<DuckDBDeviceChangeStore> {
    const [row] = await db.rows('SELECT coalesce(max(seq), 0) AS last FROM device_changes')
    return new DuckDBDeviceChangeStore(db, int(row!.last) + 1)
  }

  async append (c: Omit<DeviceChange, 'seq'>): Promise<DeviceChange> {
    checkDeviceChange(c)
    // seq taken inside the transaction: the writer lane runs them one at a time
    return await this.db.tx(async (conn) => {
      const stored: DeviceChange = { ...c, seq: this.nextSeq }
      await runPrepared(conn, INSERT, {
        seq: stored.seq, at: c.at, by: c.by, action: c.action, device: c.device, site: c.site, reason: c.reason, spec: c.spec === null ? null : JSON.stringify(c.spec)
      })
      this.nextSeq++
      return stored
    })
  }

  async list (q: { device?: string } = {}): Promise<DeviceChange[]> {
    const rows = q.device === undefined
      ? await this.db.rows('SELECT * FROM device_changes ORDER BY seq')
      : await this.db.rows('SELECT * FROM device_changes WHERE device = $device OR json_extract_string(spec, \'$.id\') = $device ORDER BY seq', { device: q.device })
    return rows.map(rowToChange)
  }
}
