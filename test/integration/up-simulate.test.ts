/** `minewatch up --simulate` (with the HJ 212 gateway, as `npm run demo`): every demo device, MQTT and HJ 212, shows in /api/v1/sites/{site}/latest within a minute. */
import { it, expect } from 'vitest'
import { startMinewatch } from '../../bin/up.js'
import { silentLogger } from '../../core/log.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { demoConfig } from '../helpers/minewatch.js'

it('shows readings for every demo device within a minute', async () => {
  const dir = tempDir('minewatch-sim-')
  const config = demoConfig()
  const mw = await startMinewatch({ config, dataDir: dir.path, mqttPort: 0, httpPort: 0, host: '127.0.0.1', simulate: true, hj212Port: 0, logger: silentLogger() })
  try {
    const seen = async (site: string): Promise<Set<string>> => {
      await new Promise((resolve) => setTimeout(resolve, 250)) // 4 polls a second: well inside the token's rate limit
      const res = await fetch(`http://127.0.0.1:${mw.httpPort}/api/v1/sites/${site}/latest`, { headers: { authorization: 'Bearer demo-regulator-all-token' } })
      expect(res.status).toBe(200)
      const body = await res.json() as { items: Array<{ device: string }> }
      return new Set(body.items.map((r) => r.device))
    }
    for (const site of config.config.sites) {
      const expected = site.devices.map((d) => d.id).sort()
      await waitFor(async () => (await seen(site.id)).size === expected.length, 60_000, `every device of ${site.id} in /latest`)
      expect([...await seen(site.id)].sort()).toEqual(expected)
    }
    // the simulated demo is a normal day: nothing rejected
    expect(await mw.state.rejects.count()).toBe(0)
  } finally {
    await mw.close()
    dir.remove()
  }
})
