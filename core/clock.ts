/** Injected time source, so rules and schedulers can be driven by tests and simulations. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock that only moves when told to: for tests and fast-forwarded simulations. */
export class ManualClock implements Clock {
  constructor (private t: number = 0) {}
  now (): number { return this.t }
  set (t: number): void { this.t = t }
  advance (ms: number): number { this.t += ms; return this.t }
}
