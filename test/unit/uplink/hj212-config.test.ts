/** `uplink.hj212` targets: config errors name the place and the problem; a missing PW variable stops the start. */
import { describe, it, expect } from 'vitest'
import { parseConfig, type Config } from '../../../core/config.js'
import { silentLogger } from '../../../core/log.js'
import { createMetrics } from '../../../core/metrics.js'
import { oneSiteYaml } from '../../helpers/site-yaml.js'
import { tempDir } from '../../helpers/ports.js'
import { Uplink, createUplinkMetrics } from '../../../uplink/index.js'
import type { AlertStore } from '../../../store/state.js'

const devices = `    devices:
      - { id: D1, kind: dust, unit: mg/m3, intervalS: 60, password: demo-D1-pw }
      - { id: W1, kind: water, role: fresh_intake, intervalS: 60, password: demo-W1-pw }
      - { id: O1, kind: ore, role: truck_scale, intervalS: 60, password: demo-O1-pw }`
const yaml = (devs: string, name = 'p', extra = '') => oneSiteYaml(devices, `uplink:
  hj212:
    - name: ${name}
      host: 127.0.0.1
      port: 9212
      site: s1
      devices:
${devs}
${extra}`)
const parse = (text: string) => parseConfig(text, 'c.yaml', {})

describe('uplink.hj212 config', () => {
  it('accepts dust and water devices with defaults', () => {
    const c = parse(yaml('        - { id: D1, mn: MN-D1, pwEnv: PW_D1 }\n        - { id: W1, mn: MN-W1, pwEnv: PW_W1, st: "32" }')).config
    expect(c.uplink.hj212[0]).toMatchObject({ data: { realtime: true, minute: true, hour: true, day: true }, windowFrames: 100, ackTimeoutMs: 15_000, queue: { onFull: 'drop-oldest' } })
  })

  it.each([
    ['an unknown device', '        - { id: NOPE, mn: MN-1, pwEnv: PW }', /uplink\.hj212\[0\]\.devices\[0\]\.id: 'NOPE' is not a device of site 's1'/],
    ['a device of another kind', '        - { id: O1, mn: MN-1, pwEnv: PW }', /uplink\.hj212\[0\]\.devices\[0\]\.id: 'O1' is a ore device, HJ 212 forwards dust and water devices/],
    ['an MN twice', '        - { id: D1, mn: MN-1, pwEnv: PW }\n        - { id: W1, mn: MN-1, pwEnv: PW }', /uplink\.hj212\[0\]\.devices\[1\]\.mn: MN 'MN-1' is used twice/],
    ['a PW in the file', '        - { id: D1, mn: MN-1, pw: "123456" }', /pw/]
  ])('refuses %s', (_what, devs, message) => {
    expect(() => parse(yaml(devs))).toThrow(message)
  })

  it('refuses a target name used by an MQTT target', () => {
    const text = oneSiteYaml(devices, `uplink:
  targets:
    - { name: p, url: "mqtt://127.0.0.1:1883", site: s1, username: u, passwordEnv: PW }
  hj212:
    - { name: p, host: 127.0.0.1, port: 9212, site: s1, devices: [ { id: D1, mn: MN-1, pwEnv: PW } ] }`)
    expect(() => parse(text)).toThrow(/uplink\.hj212\[0\]\.name: duplicate uplink target 'p'/)
  })

  it('a missing PW variable stops the start with MW_CONFIG_INVALID', () => {
    const c = parse(yaml('        - { id: D1, mn: MN-D1, pwEnv: PW_D1 }')).config as Config
    const dir = tempDir('minewatch-uplink-hj-config-')
    try {
      expect(() => new Uplink({ config: c.uplink, sites: c.sites, telemetry: { series: async () => [] }, dataDir: dir.path, alertStore: {} as AlertStore, ack: async () => undefined, comment: async () => undefined, close: async () => undefined, dailyReport: async () => undefined, maxLateMs: 7 * 86_400_000, env: {}, clock: { now: () => 0 }, logger: silentLogger(), metrics: createUplinkMetrics(createMetrics().registry) }))
        .toThrow(expect.objectContaining({ code: 'MW_CONFIG_INVALID', message: expect.stringMatching(/environment variable PW_D1 \(the PW of D1\) is not set/) }))
    } finally { dir.remove() }
  })
})
