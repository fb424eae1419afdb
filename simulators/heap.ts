/** Min-heap of actors by next time (ties by insertion order, so runs are deterministic). */
import type { Actor } from './types.js'

interface Entry { actor: Actor, order: number }

export class ActorHeap {
  private readonly items: Entry[] = []

  get size (): number { return this.items.length }

  push (actor: Actor, order: number): void {
    this.items.push({ actor, order })
    this.up(this.items.length - 1)
  }

  peek (): Actor | undefined { return this.items[0]?.actor }

  /** Re-sorts the top entry after its actor's `next` changed. */
  fixTop (): void { this.down(0) }

  pop (): Actor | undefined {
    const top = this.items[0]
    const last = this.items.pop()
    if (top && last && this.items.length > 0) {
      this.items[0] = last
      this.down(0)
    }
    return top?.actor
  }

  private less (a: Entry, b: Entry): boolean {
    return a.actor.next < b.actor.next || (a.actor.next === b.actor.next && a.order < b.order)
  }

  private up (i: number): void {
    const it = this.items
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(it[i]!, it[p]!)) break
      ;[it[i], it[p]] = [it[p]!, it[i]!]
      i = p
    }
  }

  private down (i: number): void {
    const it = this.items
    for (;;) {
      const l = 2 * i + 1; const r = l + 1
      let m = i
      if (l < it.length && this.less(it[l]!, it[m]!)) m = l
      if (r < it.length && this.less(it[r]!, it[m]!)) m = r
      if (m === i) return
      ;[it[i], it[m]] = [it[m]!, it[i]!]
      i = m
    }
  }
}
