/**
 * Contract suite for Notifier (alerts/notify/notifier.ts): every channel (webhook, DingTalk,
 * WeCom, MQTT) runs it through test/integration/notifiers.test.ts against a real receiver.
 * It asserts only what the interface promises: a delivery is taken or the error answers
 * "retry?", with the receiver's answer kept for a refusal.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { isMinewatchError, type MinewatchError } from '../../core/errors.js'
import type { Notifier } from '../../alerts/notify/notifier.js'
import { answerOf } from '../../alerts/notify/http.js'

/** How the receiver answers the next deliveries. */
export type ReceiverMode = 'ok' | 'busy' | 'refuse'

export interface NotifierRig {
  notifier: Notifier
  /** The same channel pointed at a receiver that is not there (nothing listens). */
  unreachable: Notifier
  /** Sets how the receiver answers; returns the body to send (a channel may refuse a body, not a token). */
  mode(m: ReceiverMode): string
  /** Bodies the receiver took, in order; resolves once there are at least n. */
  received(n: number): Promise<string[]>
  /** True when the channel's refusal comes from a receiver that answered (HTTP), so an answer is kept. */
  answers: boolean
  close(): Promise<void>
}

async function failure (p: Promise<void>): Promise<MinewatchError> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(isMinewatchError(err), `rejects with a MinewatchError, got ${String(err)}`).toBe(true)
  return err as MinewatchError
}

export function notifierContract (name: string, factory: () => Promise<NotifierRig>): void {
  describe(`Notifier contract: ${name}`, () => {
    let rig: NotifierRig
    let n = 0
    beforeAll(async () => { rig = await factory() })
    afterAll(async () => { await rig?.close() })

    it('delivers: send() resolves once the receiver took the body, byte for byte', async () => {
      const body = rig.mode('ok')
      await rig.notifier.send({ id: `d-${++n}`, payload: body })
      const got = await rig.received(1)
      expect(got.at(-1)).toBe(body)
      expect(rig.notifier.channel).toBe(name)
    })

    it('a busy or rate-limiting receiver: MW_DELIVERY_FAILED, retry', async () => {
      const body = rig.mode('busy')
      const err = await failure(rig.notifier.send({ id: `d-${++n}`, payload: body }))
      expect(err.code).toBe('MW_DELIVERY_FAILED')
      expect(err.canRetry()).toBe(true)
    })

    it('an unreachable receiver: MW_DELIVERY_FAILED, retry, no answer', async () => {
      const err = await failure(rig.unreachable.send({ id: `d-${++n}`, payload: rig.mode('ok') }))
      expect(err.code).toBe('MW_DELIVERY_FAILED')
      expect(err.canRetry()).toBe(true)
      expect(answerOf(err)).toBeNull()
    })

    it('a permanent refusal: MW_DELIVERY_REFUSED, no retry, with the receiver\'s answer', async () => {
      const body = rig.mode('refuse')
      const err = await failure(rig.notifier.send({ id: `d-${++n}`, payload: body }))
      expect(err.code).toBe('MW_DELIVERY_REFUSED')
      expect(err.canRetry()).toBe(false)
      if (rig.answers) expect(answerOf(err)).toMatch(/\S/)
    })

    it('keeps no state from a failure: the next delivery goes through', async () => {
      const before = (await rig.received(0)).length
      const body = rig.mode('ok')
      await rig.notifier.send({ id: `d-${++n}`, payload: body })
      expect((await rig.received(before + 1)).at(-1)).toBe(body)
    })
  })
}
