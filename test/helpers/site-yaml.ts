import { parseConfig } from '../../core/config.js'
import { isMinewatchError } from '../../core/errors.js'

/** Config text of a demo config with one small site `s1` (for tests that edit a config and parse it again). */
export function oneSiteYaml (siteLines: string, rest = ''): string {
  return `
demo: true
sites:
  - id: s1
    name: Site 1
    province: 浙江省
    licence: L1
    scaleTPerYear: 1000000
    boundary: { type: Polygon, coordinates: [ [ [120, 30], [120.01, 30], [120.01, 30.01], [120, 30] ] ] }
${siteLines}
${rest}`
}

/** The problems parseConfig reports for a config text (`file:line: path: message` each), or [] when it loads. */
export function configProblems (text: string, file = 'x.yaml'): string[] {
  try { parseConfig(text, file, {}) } catch (err) {
    if (isMinewatchError(err, 'MW_CONFIG_INVALID')) return err.details as string[]
    throw err
  }
  return []
}

/**
 * An `alerts.rosters` entry for the demo quarry (config/demo.yaml): 白班 08–16 张三 (token 长兴矿调度室)
 * and 王五, 中班 16–24 李四 (token admin), 夜班 00–08 赵六, each shift told on the given subscription.
 */
export function zjRosterYaml (channels: { day: string, swing: string, night: string }): string {
  return `  rosters:
    - site: zj-huzhou-quarry
      people:
        - { id: P001, name: 张三, user: 长兴矿调度室 }
        - { id: P002, name: 王五 }
        - { id: P003, name: 李四, user: admin }
        - { id: P004, name: 赵六 }
      shifts:
        - { id: day, name: 白班, from: '08:00', to: '16:00', onDuty: [P001, P002], channel: ${channels.day} }
        - { id: swing, name: 中班, from: '16:00', to: '24:00', onDuty: [P003], channel: ${channels.swing} }
        - { id: night, name: 夜班, from: '00:00', to: '08:00', onDuty: [P004], channel: ${channels.night} }
`
}
