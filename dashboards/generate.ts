/**
 * Writes the generated dashboards and gazetteer files, or with --check compares them with the
 * files on disk and exits 1 on any difference (CI runs the check).
 *
 *   npx tsx dashboards/generate.ts [--check] [--config config/demo.yaml]
 *
 * The config path can also come from MINEWATCH_DASHBOARD_CONFIG; the GeoJSON API URL from
 * MINEWATCH_PUBLIC_API_URL (see docs/dashboards.md).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadConfig } from '../core/config.js'
import { renderAll } from './render.js'
import { DEFAULT_CONFIG, optionsFromEnv } from './options.js'

/** Repository root (the parent of dashboards/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Paths whose content on disk differs from `files` (missing files included). */
export function drift (files: Map<string, string>, root: string = ROOT): string[] {
  const changed: string[] = []
  for (const [path, text] of files) {
    const abs = join(root, path)
    if (!existsSync(abs) || readFileSync(abs, 'utf8') !== text) changed.push(path)
  }
  return changed
}

function main (): number {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, config: { type: 'string' } } })
  const configPath = resolve(ROOT, values.config ?? process.env.MINEWATCH_DASHBOARD_CONFIG ?? DEFAULT_CONFIG)
  const { config } = loadConfig(configPath)
  const files = renderAll(config, optionsFromEnv())
  if (values.check) {
    const changed = drift(files)
    if (changed.length > 0) {
      console.error(`dashboards are out of date with ${configPath} (run: npx tsx dashboards/generate.ts):\n  ${changed.join('\n  ')}`)
      return 1
    }
    console.log(`dashboards up to date (${files.size} files)`)
    return 0
  }
  for (const [path, text] of files) {
    const abs = join(ROOT, path)
    mkdirSync(dirname(abs), { recursive: true })
    writeFileSync(abs, text)
  }
  console.log(`wrote ${files.size} files from ${configPath}`)
  return 0
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main()
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
  }
}
