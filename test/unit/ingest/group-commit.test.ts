/** GroupCommit: size and time triggers, pipelining while a write is in flight, failures. */
import { describe, it, expect, vi, afterEach } from 'vitest'
import { GroupCommit } from '../../../ingest/group-commit.js'

function deferred () {
  let resolve!: () => void
  let reject!: (e: unknown) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

/** A writer that records batches and completes each write when told to. */
function writer () {
  const batches: number[][] = []
  const gates: ReturnType<typeof deferred>[] = []
  const write = (items: number[]) => { batches.push([...items]); const g = deferred(); gates.push(g); return g.promise }
  return { batches, gates, write }
}

afterEach(() => { vi.useRealTimers() })

describe('GroupCommit', () => {
  it('writes when maxItems is reached, without waiting for the timer', async () => {
    const w = writer()
    const gc = new GroupCommit<number>({ write: w.write, maxItems: 3, maxWaitMs: 3_600_000 })
    const p1 = gc.add([1, 2])
    expect(w.batches).toEqual([])
    const p2 = gc.add([3, 4]) // a caller's items are never split: the batch holds 4
    expect(w.batches).toEqual([[1, 2, 3, 4]])
    expect(p1).toBe(p2)
    w.gates[0]!.resolve()
    await expect(p1).resolves.toBeUndefined()
  })

  it('writes maxWaitMs after the first item', async () => {
    vi.useFakeTimers()
    const w = writer()
    const gc = new GroupCommit<number>({ write: w.write, maxItems: 100, maxWaitMs: 5 })
    void gc.add([1])
    await vi.advanceTimersByTimeAsync(4)
    void gc.add([2])
    expect(w.batches).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(w.batches).toEqual([[1, 2]])
  })

  it('with maxWaitMs 0 writes at the end of the event-loop turn, and self-clocks while busy', async () => {
    const w = writer()
    const gc = new GroupCommit<number>({ write: w.write, maxItems: 100, maxWaitMs: 0 })
    const a = gc.add([1])
    const b = gc.add([2]) // same turn: same batch
    expect(a).toBe(b)
    expect(w.batches).toEqual([])
    await new Promise((r) => setImmediate(r))
    expect(w.batches).toEqual([[1, 2]])
    const c = gc.add([3])
    await new Promise((r) => setImmediate(r))
    const d = gc.add([4]) // the slot is busy: keeps filling
    expect(c).toBe(d)
    expect(w.batches).toHaveLength(1)
    w.gates[0]!.resolve()
    await a
    await new Promise((r) => setImmediate(r))
    expect(w.batches).toEqual([[1, 2], [3, 4]]) // written the moment the slot freed
    w.gates[1]!.resolve()
    await expect(d).resolves.toBeUndefined()
  })

  it('while a write is in flight the next batch keeps filling, then goes as one write', async () => {
    vi.useFakeTimers()
    const w = writer()
    const gc = new GroupCommit<number>({ write: w.write, maxItems: 100, maxWaitMs: 5 })
    const first = gc.add([1])
    await vi.advanceTimersByTimeAsync(5)
    expect(w.batches).toEqual([[1]])
    const second = gc.add([2])
    await vi.advanceTimersByTimeAsync(50) // due, but the slot is busy
    const third = gc.add([3])
    expect(second).toBe(third)
    expect(w.batches).toHaveLength(1)
    w.gates[0]!.resolve()
    await first
    await vi.advanceTimersByTimeAsync(0)
    expect(w.batches).toEqual([[1], [2, 3]])
    w.gates[1]!.resolve()
    await expect(third).resolves.toBeUndefined()
  })

  it('a failed write rejects its callers only; later batches still succeed', async () => {
    vi.useFakeTimers()
    const w = writer()
    const gc = new GroupCommit<number>({ write: w.write, maxItems: 2, maxWaitMs: 5 })
    const bad = gc.add([1, 2])
    const good = gc.add([3, 4]) // sealed too, queued behind the first
    w.gates[0]!.reject(new Error('disk full'))
    await expect(bad).rejects.toThrow('disk full')
    await vi.advanceTimersByTimeAsync(0)
    expect(w.batches).toEqual([[1, 2], [3, 4]])
    w.gates[1]!.resolve()
    await expect(good).resolves.toBeUndefined()
  })

  it('a writer that throws synchronously rejects the batch instead of crashing', async () => {
    const gc = new GroupCommit<number>({ write: () => { throw new Error('sync boom') }, maxItems: 1, maxWaitMs: 5 })
    await expect(gc.add([1])).rejects.toThrow('sync boom')
    expect(gc.pending).toBe(0)
  })

  it('writes one batch at a time, in order (parallel work inside a write is the store\'s)', async () => {
    const w = writer()
    const gc = new GroupCommit<number>({ write: w.write, maxItems: 1, maxWaitMs: 5 })
    const done = [gc.add([1]), gc.add([2]), gc.add([3])]
    expect(w.batches).toEqual([[1]])
    w.gates[0]!.resolve()
    await done[0]
    await Promise.resolve()
    expect(w.batches).toEqual([[1], [2]])
    w.gates[1]!.resolve()
    await done[1]
    await Promise.resolve()
    expect(w.batches).toEqual([[1], [2], [3]])
    w.gates[2]!.resolve()
    await done[2]
    expect(gc.pending).toBe(0)
  })

  it('flush() writes the open batch now and waits for every write, never rejecting', async () => {
    const w = writer()
    const gc = new GroupCommit<number>({ write: w.write, maxItems: 100, maxWaitMs: 3_600_000 })
    const p = gc.add([1, 2])
    p.catch(() => {})
    const flushed = gc.flush()
    expect(w.batches).toEqual([[1, 2]])
    let done = false
    void flushed.then(() => { done = true })
    await Promise.resolve()
    expect(done).toBe(false)
    w.gates[0]!.reject(new Error('x'))
    await flushed
    expect(done).toBe(true)
  })
})
