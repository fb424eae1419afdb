/**
 * DeviceChangeStore on PostgreSQL: the device lifecycle changes made through the API, append-only.
 * seq is max+1 under the device-changes advisory lock, so processes sharing the database number
 * their changes 1, 2, … in commit order.
 */
import type { DeviceChange, DeviceChangeStore } from '../state.js'
import { checkDeviceChange, rowToChange } from '../duckdb/device-changes.js'
import { LOCKS, checkText, lockTx, type PgDb } from './db.js'

export class PgDeviceChangeStore implements DeviceChangeStore {
  constructor (private readonly db: PgDb) {}

  async append (c: Omit<DeviceChange, 'seq'>): Promise<DeviceChange> {
    checkDeviceChange(c)
    for (const k of ['by', 'device', 'site', 'reason'] as const) checkText(`device change ${k}`, c[k])
    const spec = c.spec === null ? null : JSON.stringify(c.spec) // JSON escapes NUL
    return await this.db.tx(async (conn) => {
      await lockTx(conn, LOCKS.deviceChanges)
      const r = await conn.query(
        'INSERT INTO device_changes (seq, "at", "by", action, device, site, reason, spec) ' +
        'SELECT coalesce(max(seq), 0) + 1, $1, $2, $3, $4, $5, $6, $7 FROM device_changes RETURNING seq',
        [c.at, c.by, c.action, c.device, c.site, c.reason, spec]
      )
      return { ...c, seq: (r.rows[0] as { seq: number }).seq }
    }, 'device change not stored')
  }

  async list (q: { device?: string } = {}): Promise<DeviceChange[]> {
    const rows = q.device === undefined
      ? await this.db.rows('SELECT * FROM device_changes ORDER BY seq')
      : await this.db.rows("SELECT * FROM device_changes WHERE device = $1 OR (spec IS NOT NULL AND spec::jsonb ->> 'id' = $1) ORDER BY seq", [q.device])
    return rows.map(rowToChange)
  }
}
