/**
 * Writes a batch; when the store refuses it as malformed (MW_STORE_REJECTED), splits
 * it in halves until the bad readings are isolated, hands those to `onRejected` and
 * writes the rest. k bad readings in n cost about 2·k·log2(n) extra requests.
 */
import { isMinewatchError, type MinewatchError } from '../../core/errors.js'
import type { Reading } from '../../core/readings.js'

/** Thrown when the store became unavailable part-way: `remaining` was not written, in order. */
export class PartialDelivery extends Error {
  constructor (cause: unknown, readonly remaining: Reading[]) {
    super((cause as Error)?.message ?? String(cause), { cause })
    this.name = 'PartialDelivery'
  }
}

/** Is this the store saying "the data is bad" (and so splitting can find what)? */
export function isRejected (err: unknown): err is MinewatchError {
  return isMinewatchError(err, 'MW_STORE_REJECTED')
}

/**
 * Writes `batch` through `write`, isolating rejected readings. Resolves when every
 * reading was written or handed to onRejected; throws PartialDelivery on any other error.
 */
export async function writeBisecting (
  write: (part: readonly Reading[]) => Promise<void>,
  batch: readonly Reading[],
  onRejected: (readings: Reading[], detail: string) => Promise<void>
): Promise<void> {
  // Depth-first, first half first, so the accepted readings keep their order.
  const stack: (readonly Reading[])[] = [batch]
  while (stack.length > 0) {
    const part = stack.pop()!
    try {
      await write(part)
    } catch (err) {
      if (!isRejected(err)) {
        const remaining: Reading[] = [...part]
        for (let i = stack.length - 1; i >= 0; i--) for (const r of stack[i]!) remaining.push(r)
        throw new PartialDelivery(err, remaining)
      }
      if (part.length === 1) {
        await onRejected([...part], err.message)
        continue
      }
      const mid = part.length >>> 1
      stack.push(part.slice(mid), part.slice(0, mid))
    }
  }
}
