import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { ChunkAppender, type ColumnSpec } from '../../../store/duckdb/chunk-appender.js'

interface Row { i: number, s: string | null, d: number | null, b: number | null, t: number | null, n: number | null }

const COLUMNS: ColumnSpec<Row>[] = [
  { kind: 'bigint', get: (r) => r.i },
  { kind: 'varchar', get: (r) => r.s },
  { kind: 'double', get: (r) => r.d },
  { kind: 'bigint', get: (r) => r.b },
  { kind: 'timestamp', get: (r) => r.t },
  { kind: 'double', get: (r) => r.n }
]

/** int64 edge values: the two 32-bit halves, their signs and the ends of the safe range. */
const BIGINTS = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, 3e9, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, -(2 ** 32), -(2 ** 32) - 1, -3e9, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]
/** Epoch ms: before 1970, today, and beyond 2^53 µs (the BigInt path), up to the largest Date. */
const TIMES = [0, -1, -86_400_000, 1_764_000_000_123, 9_100_000_000_000, 8.64e15, -8.64e12]

function rows (from: number, count: number, nullWhere: (i: number) => boolean): Row[] {
  const out: Row[] = []
  for (let i = from; i < from + count; i++) {
    const none = nullWhere(i)
    out.push({
      i,
      s: none ? null : `dev-${i}`,
      d: none ? null : i * 1.5 - 7.25,
      b: none ? null : BIGINTS[i % BIGINTS.length]!,
      t: none ? null : TIMES[i % TIMES.length]!,
      n: null // never set: a column NULL in every row
    })
  }
  return out
}

describe('ChunkAppender', () => {
  let instance: DuckDBInstance
  let conn: DuckDBConnection
  beforeEach(async () => {
    instance = await DuckDBInstance.create(':memory:')
    conn = await instance.connect()
    await conn.run('CREATE TABLE t (i BIGINT, s VARCHAR, d DOUBLE, b BIGINT, t TIMESTAMP, n DOUBLE)')
  })
  afterEach(() => { conn.closeSync(); instance.closeSync() })

  async function stored (): Promise<Row[]> {
    const r = await conn.runAndReadAll('SELECT i, s, d, b::VARCHAR AS b, epoch_us(t)::VARCHAR AS us, n FROM t ORDER BY i')
    return r.getRowObjectsJS().map((o) => ({
      i: Number(o.i),
      s: o.s as string | null,
      d: o.d as number | null,
      b: o.b === null ? null : Number(o.b),
      // µs back to ms exactly: BigInt, since µs beyond 2^53 are not exact as a number
      t: o.us === null ? null : Number(BigInt(o.us as string) / 1000n),
      n: o.n as number | null
    }))
  }

  it('stores every value and every NULL exactly, over several chunks, at every bit of the validity words', async () => {
    const a = new ChunkAppender(await conn.createAppender('t'), COLUMNS)
    // NULL rows at the edges of the 32- and 64-bit words of the mask, and a run across a chunk boundary (2048)
    const edges = new Set([0, 31, 32, 33, 63, 64, 65, 127, 2047, 2048, 2049, 4095, 4096])
    const nullWhere = (i: number) => edges.has(i) || i % 7 === 3 || (i >= 2040 && i < 2056)
    const want = rows(0, 5000, nullWhere)
    a.append(want)
    a.flush()
    a.close()
    const got = await stored()
    expect(got).toHaveLength(5000)
    expect(got).toEqual(want)
  })

  it('a column NULL in one chunk and set in the next stores the values (nothing is left over from the earlier chunk)', async () => {
    const a = new ChunkAppender(await conn.createAppender('t'), COLUMNS)
    const first = rows(0, 100, () => true)
    const second = rows(100, 3000, () => false) // over two chunks, no NULL at all
    const third = rows(3100, 10, (i) => i % 2 === 0)
    const fourth = rows(3110, 5, (i) => i === 3112) // a single NULL in the chunk
    for (const r of [first, second, third, fourth]) a.append(r)
    a.flush()
    a.close()
    expect(await stored()).toEqual([...first, ...second, ...third, ...fourth])
  })

  it('refuses a BIGINT that is not an integer, as before (BigInt() throws)', async () => {
    const a = new ChunkAppender(await conn.createAppender('t'), COLUMNS)
    expect(() => a.append([{ i: 1.5, s: null, d: null, b: null, t: null, n: null }])).toThrow(RangeError)
    a.clear()
    a.close()
  })
})
