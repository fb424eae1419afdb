/**
 * A site `minewatch up` uplinking over MQTT to a provincial `minewatch up` (both the demo config;
 * the province gives the site a site-uplink account), as child processes in temp dirs: for the
 * two-process uplink tests. The province keeps its ports across restarts.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, tempDir } from './ports.js'
import { startMinewatchProcess, type MinewatchProcess } from './minewatch-process.js'

export const UPLINK_SITE = 'zj-huzhou-quarry'
export const UPLINK_PW = 'demo-site-zj-uplink-pw'

const demo = readFileSync('config/demo.yaml', 'utf8')

export interface UplinkPair {
  prov: MinewatchProcess
  site: MinewatchProcess
  siteDir: string
  provDir: string
  startProvince(): Promise<MinewatchProcess>
  startSite(): Promise<MinewatchProcess>
  /** Kills every process still running and removes the dirs (KEEP_UPLINK_DIRS=1 keeps and prints them). */
  cleanup(): void
}

/** Starts both; `siteUplink` gives the site's `uplink:` section (appended to the demo config) for the province's MQTT port. */
export async function startUplinkPair (opts: { siteUplink: (provinceMqtt: number) => string }): Promise<UplinkPair> {
  const siteDir = tempDir('minewatch-uplink-site-')
  const provDir = tempDir('minewatch-uplink-prov-')
  const provPorts = { mqtt: await freePort(), http: await freePort() }
  writeFileSync(join(provDir.path, 'province.yaml'), demo.replace('accounts:\n', `accounts:\n  - username: site-zj\n    role: site-uplink\n    sites: [ ${UPLINK_SITE} ]\n    password: ${UPLINK_PW}\n`))
  writeFileSync(join(siteDir.path, 'site.yaml'), `${demo}\n${opts.siteUplink(provPorts.mqtt)}`)
  const pair: UplinkPair = {
    prov: undefined as unknown as MinewatchProcess,
    site: undefined as unknown as MinewatchProcess,
    siteDir: siteDir.path,
    provDir: provDir.path,
    startProvince: async () => (pair.prov = await startMinewatchProcess({ config: join(provDir.path, 'province.yaml'), dataDir: join(provDir.path, 'data'), mqttPort: provPorts.mqtt, httpPort: provPorts.http })),
    startSite: async () => (pair.site = await startMinewatchProcess({ config: join(siteDir.path, 'site.yaml'), dataDir: join(siteDir.path, 'data'), env: { MW_TEST_UPLINK_PW: UPLINK_PW } })),
    cleanup: () => {
      for (const p of [pair.site, pair.prov]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
      if (process.env.KEEP_UPLINK_DIRS) { console.log(siteDir.path, provDir.path); return }
      siteDir.remove()
      provDir.remove()
    }
  }
  await Promise.all([pair.startProvince(), pair.startSite()])
  return pair
}

/** Ends a process with `signal` and waits for it to exit. */
export async function stopProcess (p: MinewatchProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  p.child.kill(signal)
  await p.exited
}
