/**
 * Where the installed minewatch package lives, its version, and the files it ships.
 * The same code runs from a checkout (tsx, `bin/…`), from `dist/bin/…` and from an installed tarball,
 * so paths are found from this module's own location, never from the working directory.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}

/** The folder holding minewatch's package.json. */
export const packageRoot: string = findRoot(dirname(fileURLToPath(import.meta.url)))

/** minewatch's version, from its package.json. */
export const packageVersion: string = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version

/** The demo config shipped with the package: used when neither --config nor MINEWATCH_CONFIG is given. */
export const demoConfigFile: string = join(packageRoot, 'config', 'demo.yaml')
