/**
 * Bulk rows into a DuckDB Appender through data chunks: numbers go into typed arrays
 * and are copied once per 2,048-row vector, instead of one native call per value
 * (measured: about 2× the rows/s of appendDouble/appendVarchar per value).
 *
 * Numeric columns (DOUBLE, BIGINT, TIMESTAMP) and every column's validity are filled here, in
 * typed arrays this appender owns, and copied into the chunk's vectors with one native call each.
 * The node-api vectors' setItem() costs BigInt arithmetic for every NULL (its validity mask is a
 * BigUint64Array) and a BigInt (plus a DuckDBTimestampValue) for every BIGINT and TIMESTAMP value;
 * since the HJ 212 fields (round 2) most columns of a dust row are NULL, and that made the
 * appender the largest part of the ingest slowdown against round 1 (docs/performance.md). VARCHAR
 * values still go through the vector's setItem (DuckDB owns string storage).
 */
import { endianness } from 'node:os'
import duckdb from '@duckdb/node-bindings'
import { DuckDBDataChunk, VARCHAR, DOUBLE, BIGINT, TIMESTAMP, type DuckDBAppender, type DuckDBType } from '@duckdb/node-api'

/** How a column is filled: VARCHAR, DOUBLE, BIGINT (from a safe integer), TIMESTAMP (from epoch ms). */
export type ColumnKind = 'varchar' | 'double' | 'bigint' | 'timestamp'

export interface ColumnSpec<R> {
  kind: ColumnKind
  /** The value of this column for a row; null or undefined store NULL. */
  get: (row: R) => string | number | null | undefined
}

const TYPES: Readonly<Record<ColumnKind, DuckDBType>> = { varchar: VARCHAR, double: DOUBLE, bigint: BIGINT, timestamp: TIMESTAMP }

/** DuckDB's standard vector size: rows per data chunk. */
const CHUNK_ROWS = 2048
/** 32-bit words of a chunk's validity mask (DuckDB's is 64-bit words, least significant bit first). */
const MASK_WORDS = CHUNK_ROWS / 32
const TWO_32 = 4294967296

// The int64 values and the validity words are written as pairs of 32-bit halves, low half first.
if (endianness() !== 'LE') throw new Error('store/duckdb/chunk-appender.ts writes little-endian int64 values: this machine is big-endian')

/** Writes the int64 `v` (a safe integer) at index i of `halves` (an Int32Array over int64 slots). */
function setInt64 (halves: Int32Array, i: number, v: number): void {
  halves[2 * i] = v % TWO_32 | 0 // the low 32 bits (two's complement, also for negative v)
  halves[2 * i + 1] = Math.floor(v / TWO_32)
}

/** The same for a value only a BigInt holds exactly (µs beyond 2^53). */
function setInt64Big (halves: Int32Array, i: number, v: bigint): void {
  halves[2 * i] = Number(BigInt.asIntN(32, v))
  halves[2 * i + 1] = Number(BigInt.asIntN(32, v >> 32n))
}

/** Marks row i NULL in a validity mask. */
function clearBit (mask: Uint32Array, i: number): void {
  mask[i >>> 5] = mask[i >>> 5]! & ~(1 << (i & 31))
}

/** A numeric column's chunk-sized buffer (8 bytes a row) with views for doubles and int64 halves. */
interface NumberBuffer { bytes: ArrayBuffer, doubles: Float64Array, halves: Int32Array }

function numberBuffer (): NumberBuffer {
  const bytes = new ArrayBuffer(CHUNK_ROWS * 8)
  return { bytes, doubles: new Float64Array(bytes), halves: new Int32Array(bytes) }
}

export class ChunkAppender<R> {
  private readonly chunk: DuckDBDataChunk
  private readonly buffers: (NumberBuffer | null)[]
  private readonly mask = new Uint32Array(MASK_WORDS)

  constructor (readonly appender: DuckDBAppender, private readonly columns: readonly ColumnSpec<R>[]) {
    this.chunk = DuckDBDataChunk.create(columns.map((c) => TYPES[c.kind]))
    this.buffers = columns.map((c) => c.kind === 'varchar' ? null : numberBuffer())
  }

  /** Appends the rows (buffered in the appender until flush()). */
  append (rows: readonly R[]): void {
    const cols = this.columns
    const mask = this.mask
    for (let off = 0; off < rows.length; off += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows.length - off)
      this.chunk.reset()
      this.chunk.rowCount = n
      for (let c = 0; c < cols.length; c++) {
        const { kind, get } = cols[c]!
        mask.fill(0xffffffff)
        let nulls = 0
        const buf = this.buffers[c]!
        if (buf === null) {
          const vec = this.chunk.getColumnVector(c) // VARCHAR: DuckDB stores the strings
          for (let i = 0; i < n; i++) {
            const v = get(rows[off + i]!)
            if (v === null || v === undefined) { clearBit(mask, i); nulls++ } else vec.setItem(i, v)
          }
          vec.flush()
        } else {
          const { doubles, halves } = buf
          for (let i = 0; i < n; i++) {
            const v = get(rows[off + i]!)
            if (v === null || v === undefined) { clearBit(mask, i); nulls++; continue }
            if (kind === 'double') doubles[i] = v as number
            else if (kind === 'bigint') {
              if (Number.isSafeInteger(v)) setInt64(halves, i, v as number)
              else setInt64Big(halves, i, BigInt(v)) // throws for a non-integer, as BigInt() always did here
            } else {
              const us = (v as number) * 1000 // TIMESTAMP is µs since the epoch
              if (Number.isSafeInteger(us)) setInt64(halves, i, us)
              else setInt64Big(halves, i, BigInt(v) * 1000n)
            }
          }
          // a column that is NULL in every row needs no values, only its mask
          if (nulls < n) duckdb.copy_data_to_vector(duckdb.data_chunk_get_vector(this.chunk.chunk, c), 0, buf.bytes, 0, n * 8)
        }
        // The mask is written whenever a row is NULL; a chunk just reset is all valid.
        if (nulls > 0) {
          const raw = duckdb.data_chunk_get_vector(this.chunk.chunk, c)
          duckdb.vector_ensure_validity_writable(raw)
          duckdb.copy_data_to_vector_validity(raw, 0, mask.buffer, 0, Math.ceil(n / 64) * 8)
        }
      }
      this.appender.appendDataChunk(this.chunk)
    }
  }

  /** Hands the buffered rows to the connection's current transaction. */
  flush (): void {
    this.appender.flushSync()
  }

  /** Drops rows appended but not flushed. */
  clear (): void {
    this.appender.clear()
  }

  close (): void {
    this.appender.closeSync()
  }
}
