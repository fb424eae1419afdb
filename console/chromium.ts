/**
 * Headless Chromium from Debian's `chromium` package for the console's tests and benchmarks,
 * driven by puppeteer-core (which never downloads a browser), with a fresh profile each launch.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer, { type Browser } from 'puppeteer-core'

/** The Debian package's binary (scripts/test-all.sh installs `chromium`). */
export const CHROMIUM = process.env.MINEWATCH_CHROMIUM ?? '/usr/bin/chromium'

export const SCREEN = { width: 1920, height: 1080 }

export async function launchChromium (): Promise<{ browser: Browser, close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (scripts/test-all.sh does when run as root)`)
  const profile = mkdtempSync(join(tmpdir(), 'minewatch-chromium-'))
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `--window-size=${SCREEN.width},${SCREEN.height}`],
    defaultViewport: SCREEN
  })
  return {
    browser,
    async close () {
      await browser.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}
