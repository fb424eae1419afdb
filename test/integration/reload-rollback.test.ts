/**
 * Issue 20: a reload that throws halfway is rolled back. A test-only hook (StartOptions.reloadFault,
 * passed to the reload coordinator's constructor) makes one part throw; the parts already changed
 * get the old config again, so minewatch runs exactly on the old one and the report says
 * `rolled_back` with the error. A device change made through the API that throws halfway is not
 * stored. Through a real minewatch (startMinewatch) reloading its config file.
 */
import { it, expect } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../core/config.js'
import { silentLogger } from '../../core/log.js'
import { startMinewatch } from '../../bin/up.js'
import { tempDir } from '../helpers/ports.js'
import { connectDevice } from '../helpers/minewatch.js'
import { oneSiteYaml } from '../helpers/site-yaml.js'

const TOKEN = 'rollback-admin-token-001'
const dust = (id: string, extra = '') => `      - { id: ${id}, kind: dust, role: boundary, unit: mg/m3, intervalS: 60, password: demo-${id}-pw${extra} }`
const config = (devices: string[]) => oneSiteYaml(`    devices:\n${devices.join('\n')}`, `api:\n  tokens:\n    - { name: admin, role: admin, token: ${TOKEN} }\n`)

it('a reload whose alert part throws is rolled back: registry and broker run the old config; a failed device change is not stored', async () => {
  const dir = tempDir('minewatch-reload-rollback-')
  const file = join(dir.path, 'minewatch.yaml')
  writeFileSync(file, config([dust('KEEP'), dust('GONE')]))
  let failIn: string | undefined
  const mw = await startMinewatch({
    config: loadConfig(file), dataDir: join(dir.path, 'data'), mqttPort: 0, httpPort: 0, host: '127.0.0.1', logger: silentLogger(),
    reloadFault: (part) => { if (part === failIn) throw new Error(`injected failure in ${part}`) }
  })
  const refused = async (id: string) => { try { await (await connectDevice(mw.mqttPort, id)).endAsync(); return false } catch { return true } }
  try {
    const before = mw.config
    const keep = await connectDevice(mw.mqttPort, 'KEEP')
    let keepClosed = false
    keep.on('close', () => { keepClosed = true })

    writeFileSync(file, config([dust('KEEP'), dust('GONE', ', disabled: true'), dust('NEW')]))
    failIn = 'alerts' // after the registry and the broker took the new config
    const r = await mw.reload('test')
    expect(r.outcome).toBe('rolled_back')
    expect(r.problems).toEqual(['injected failure in alerts'])
    expect(r.diff?.devices).toMatchObject({ added: ['NEW'], disabled: ['GONE'] })
    expect(mw.config).toBe(before)
    expect(mw.registry.config).toBe(before.config)
    expect(mw.registry.device('NEW')).toBeUndefined()
    expect(mw.registry.device('GONE')?.device.disabled).toBeUndefined()
    expect(await refused('NEW')).toBe(true) // the broker runs the old registry
    expect(await refused('GONE')).toBe(false)
    expect(keepClosed).toBe(false)

    failIn = 'broker' // a device change through the API, failing halfway: answered as a conflict, not stored
    const res = await fetch(`http://127.0.0.1:${mw.httpPort}/api/v1/ops/devices/GONE/disable`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'test' }) })
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ error: 'MW_CONFLICT' })
    expect(await mw.lifecycle.list()).toEqual([])
    expect(mw.registry.device('GONE')?.device.disabled).toBeUndefined()
    expect(mw.reloads.last?.outcome).toBe('rolled_back')

    failIn = undefined // the same file again: applied
    const again = await mw.reload('test')
    expect(again.outcome).toBe('applied')
    expect(await refused('NEW')).toBe(false)
    expect(await refused('GONE')).toBe(true)
    expect(keepClosed).toBe(false)
    await keep.endAsync()
  } finally {
    await mw.close()
    dir.remove()
  }
})
