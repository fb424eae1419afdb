/**
 * The newest reading per (site, kind, device[, entityId]), kept in memory so latest()
 * (the live map, device lists) does not scan a site's whole history on every call.
 * Each site is seeded once from the database on its first latest(); every committed
 * batch is merged in. Merging keeps the newer of two readings (ts, then seq), so the
 * order of seeding and commits does not matter.
 */
import type { Reading } from '../../core/readings.js'

/** True when `a` is newer than `b`: later ts, or same ts and higher seq (no seq counts lowest). */
function newer (a: Reading, b: Reading): boolean {
  return a.ts > b.ts || (a.ts === b.ts && (a.seq ?? -1) > (b.seq ?? -1))
}

function keyOf (r: Reading): string {
  return r.kind === 'locator' ? `${r.kind}\u0000${r.device}\u0000${String(r.values.entityId)}` : `${r.kind}\u0000${r.device}`
}

export class LatestCache {
  private readonly sites = new Map<string, Map<string, Reading>>()
  private readonly seeded = new Map<string, Promise<void>>()

  /** Merges committed readings. The cache keeps references: callers must not mutate readings after write(). */
  merge (readings: readonly Reading[]): void {
    let site: string | undefined
    let map: Map<string, Reading> | undefined
    for (const r of readings) {
      if (r.site !== site) {
        site = r.site
        map = this.sites.get(site)
        if (map === undefined) this.sites.set(site, map = new Map())
      }
      const key = keyOf(r)
      const old = map!.get(key)
      if (old === undefined || newer(r, old)) map!.set(key, r)
    }
  }

  /** The site's latest readings (copies), seeding the site first with `seed` when needed. */
  async get (site: string, seed: () => Promise<Reading[]>): Promise<Reading[]> {
    let p = this.seeded.get(site)
    if (p === undefined) {
      p = seed().then((rows) => this.merge(rows))
      this.seeded.set(site, p)
      p.catch(() => this.seeded.delete(site)) // a failed seed is retried by the next call
    }
    await p
    const out: Reading[] = []
    for (const r of this.sites.get(site)?.values() ?? []) {
      const values: Reading['values'] = {}
      for (const k in r.values) {
        const v = r.values[k]
        if (v !== null && v !== undefined) values[k] = v
      }
      const copy: Reading = { site: r.site, device: r.device, kind: r.kind, ts: r.ts, values }
      if (r.seq !== undefined) copy.seq = r.seq
      out.push(copy)
    }
    return out
  }
}
