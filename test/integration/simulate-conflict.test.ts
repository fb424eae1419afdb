/**
 * `minewatch simulate` against a running `minewatch up --simulate`: both would run the same
 * devices with the same client ids and take each other over forever (so a scenario raises
 * nothing). The command notices the take-overs and refuses with a clear message and exit code 3.
 */
import { describe, it, expect } from 'vitest'
import { startTestMinewatch } from '../helpers/minewatch.js'
import { simulateCommand } from '../../simulators/cli.js'

describe('minewatch simulate next to up --simulate', () => {
  it('refuses clearly instead of fighting over the client ids', async () => {
    const mw = await startTestMinewatch({ simulate: true })
    try {
      const lines: string[] = []
      const t0 = Date.now()
      const code = await simulateCommand(['--broker', `mqtt://127.0.0.1:${mw.mqttPort}`, '--sites', 'gz-kaiyang-phos', '--scenario', 'dust-exceedance', '--speed', '1'], (l) => lines.push(l))
      expect(code, lines.join("\n")).toBe(3)
      expect(Date.now() - t0).toBeLessThan(45_000)
      const refusal = lines.find((l) => l.startsWith('simulate: refusing to run'))
      expect(refusal).toMatch(/same client id/)
      expect(refusal).toMatch(/minewatch up --simulate/)
    } finally {
      await mw.cleanup()
    }
  })
})
