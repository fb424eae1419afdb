/**
 * Bulk rows into a DuckDB Appender through data chunks: numbers go into typed arrays
 * and are copied once per 2,048-row vector, instead of one native call per value
 * (measured: about 2× the rows/s of appendDouble/appendVarchar per value).
 */
import { DuckDBDataChunk, DuckDBTimestampValue, VARCHAR, DOUBLE, BIGINT, TIMESTAMP, type DuckDBAppender, type DuckDBType, type DuckDBVector } from '@duckdb/node-api'

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

export class ChunkAppender<R> {
  private readonly chunk: DuckDBDataChunk

  constructor (readonly appender: DuckDBAppender, private readonly columns: readonly ColumnSpec<R>[]) {
    this.chunk = DuckDBDataChunk.create(columns.map((c) => TYPES[c.kind]))
  }

  /** Appends the rows (buffered in the appender until flush()). */
  append (rows: readonly R[]): void {
    const cols = this.columns
    for (let off = 0; off < rows.length; off += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rows.length - off)
      this.chunk.reset()
      this.chunk.rowCount = n
      const vectors: DuckDBVector[] = []
      for (let c = 0; c < cols.length; c++) vectors.push(this.chunk.getColumnVector(c))
      for (let c = 0; c < cols.length; c++) {
        const { kind, get } = cols[c]!
        const vec = vectors[c]!
        for (let i = 0; i < n; i++) {
          const v = get(rows[off + i]!)
          if (v === null || v === undefined) vec.setItem(i, null)
          else if (kind === 'timestamp') vec.setItem(i, new DuckDBTimestampValue(BigInt(v) * 1000n))
          else if (kind === 'bigint') vec.setItem(i, BigInt(v))
          else vec.setItem(i, v)
        }
        vec.flush()
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
