/**
 * DuckDB connections are not for concurrent use: each Lane runs one operation at a
 * time on its own connection, and a LanePool spreads reads over a few lanes so a
 * long query does not hold up the others. Connections of one instance see each
 * other's committed data (MVCC), and readers never block the writer.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'

export class Lane {
  private tail: Promise<unknown> = Promise.resolve()
  /** Operations queued or running. */
  pending = 0

  constructor (readonly conn: DuckDBConnection) {}

  /** Runs `fn` after every operation queued before it. */
  run<R> (fn: (conn: DuckDBConnection) => Promise<R>): Promise<R> {
    this.pending++
    const p = this.tail.then(() => fn(this.conn))
    this.tail = p.then(() => undefined, () => undefined).finally(() => { this.pending-- })
    return p
  }

  /** Resolves when everything queued so far has settled. */
  async idle (): Promise<void> {
    await this.tail
  }
}

export class LanePool {
  private constructor (private readonly lanes: Lane[]) {}

  static async open (instance: DuckDBInstance, size: number): Promise<LanePool> {
    const lanes: Lane[] = []
    for (let i = 0; i < size; i++) lanes.push(new Lane(await instance.connect()))
    return new LanePool(lanes)
  }

  /** Runs `fn` on the least busy lane. */
  run<R> (fn: (conn: DuckDBConnection) => Promise<R>): Promise<R> {
    let best = this.lanes[0]!
    for (const l of this.lanes) if (l.pending < best.pending) best = l
    return best.run(fn)
  }

  async idle (): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.idle()))
  }

  /** Waits for queued operations, then disconnects every lane. */
  async close (): Promise<void> {
    await this.idle()
    for (const l of this.lanes) l.conn.closeSync()
  }
}
