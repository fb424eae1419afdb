/**
 * `minewatch config export`: the config file with the stored device changes folded in, as YAML,
 * so an operator can make it the file (after which the stored changes are no-ops). Only the sites'
 * device lists change: every other line of the file (comments, `${VAR}` references) is kept, and
 * so is each device the changes left as the file has it. Devices the changes added or changed are
 * written from the merged config, whose secrets are scrypt hashes (the API takes no plain secret).
 */
import { YAMLSeq, parseDocument } from 'yaml'
import type { LoadedConfig } from '../core/config.js'
import { canonical } from './overrides.js'

/** `text` is the file behind `merged.base` (or `merged` when no change applies). */
export function exportConfig (text: string, merged: LoadedConfig): string {
  const file = (merged.base ?? merged).config
  const doc = parseDocument(text)
  merged.config.sites.forEach((site) => {
    const i = file.sites.findIndex((s) => s.id === site.id)
    if (i < 0) return
    const own = file.sites[i]!.devices
    if (canonical(own) === canonical(site.devices)) return
    const seq = new YAMLSeq()
    for (const d of site.devices) {
      const j = own.findIndex((f) => f.id === d.id)
      const node = j >= 0 && canonical(own[j]) === canonical(d) ? doc.getIn(['sites', i, 'devices', j], true) : undefined
      seq.items.push(node ?? doc.createNode(d, { flow: true }))
    }
    doc.setIn(['sites', i, 'devices'], seq)
  })
  return doc.toString({ lineWidth: 0 })
}
