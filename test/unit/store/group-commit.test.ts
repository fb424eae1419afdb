import { describe, it, expect } from 'vitest'
import { GroupCommit } from '../../../store/duckdb/group-commit.js'

/** A commit function that records its calls and can be told to fail or wait. */
function recorder (opts: { failIf?: (items: readonly number[]) => boolean, delayMs?: number } = {}) {
  const calls: { items: number[], lane: number }[] = []
  let inFlight = 0
  let maxInFlight = 0
  const commit = async (items: readonly number[], lane: number): Promise<void> => {
    calls.push({ items: [...items], lane })
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 5))
    inFlight--
    if (opts.failIf?.(items)) throw new Error(`bad group ${items.join(',')}`)
  }
  return { calls, commit, maxInFlight: () => maxInFlight }
}

describe('GroupCommit', () => {
  it('merges items submitted while a commit is in flight into the next transaction', async () => {
    const r = recorder()
    const g = new GroupCommit<number>({ commit: r.commit, sizeOf: () => 1, maxSize: 100 })
    await Promise.all([1, 2, 3, 4].map((i) => g.submit(i)))
    expect(r.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]])
  })

  it('bounds a transaction by maxSize, letting a larger item go alone', async () => {
    const r = recorder()
    const g = new GroupCommit<number>({ commit: r.commit, sizeOf: (n) => n, maxSize: 10 })
    await Promise.all([1, 4, 5, 3, 20, 2].map((i) => g.submit(i)))
    expect(r.calls.map((c) => c.items)).toEqual([[1], [4, 5], [3], [20], [2]])
  })

  it('retries a failed group item by item, so only the bad item rejects', async () => {
    const r = recorder({ failIf: (items) => items.includes(13) })
    const g = new GroupCommit<number>({ commit: r.commit, sizeOf: () => 1, maxSize: 100 })
    const results = await Promise.allSettled([1, 12, 13, 14].map((i) => g.submit(i)))
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    expect((results[2] as PromiseRejectedResult).reason.message).toBe('bad group 13')
    expect(r.calls.map((c) => c.items)).toEqual([[1], [12, 13, 14], [12], [13], [14]])
  })

  it('runs at most `lanes` transactions at once, each on its own lane', async () => {
    const r = recorder({ delayMs: 10 })
    const g = new GroupCommit<number>({ commit: r.commit, sizeOf: () => 1, maxSize: 2, lanes: 2 })
    await Promise.all(Array.from({ length: 9 }, (_, i) => g.submit(i)))
    expect(r.maxInFlight()).toBe(2)
    expect(r.calls.flatMap((c) => c.items).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    expect(new Set(r.calls.map((c) => c.lane))).toEqual(new Set([0, 1]))
  })

  it('drain() waits for everything submitted, and the queue restarts afterwards', async () => {
    const r = recorder()
    const g = new GroupCommit<number>({ commit: r.commit, sizeOf: () => 1, maxSize: 100, lanes: 2 })
    const done: number[] = []
    for (let i = 0; i < 5; i++) void g.submit(i).then(() => done.push(i))
    await g.drain()
    await Promise.resolve()
    expect(done.sort()).toEqual([0, 1, 2, 3, 4])
    await g.submit(5)
    expect(r.calls.flatMap((c) => c.items)).toContain(5)
  })
})

describe('GroupCommit extraLaneMinSize', () => {
  it('leaves small leftovers to the busy lane and starts another lane once enough waits', async () => {
    const r = recorder({ delayMs: 20 })
    const g = new GroupCommit<number>({ commit: r.commit, sizeOf: (n) => n, maxSize: 1000, lanes: 2, extraLaneMinSize: 10 })
    const first = g.submit(1) // lane 0 busy
    await new Promise((res) => setTimeout(res, 5))
    const small = [g.submit(2), g.submit(3)] // 5 < 10: wait for lane 0
    expect(r.maxInFlight()).toBe(1)
    const big = g.submit(7) // 12 ≥ 10: lane 1 starts with everything queued
    await Promise.all([first, ...small, big])
    expect(r.maxInFlight()).toBe(2)
    expect(r.calls.map((c) => c.items)).toEqual([[1], [2, 3, 7]])
  })
})
