/**
 * Headless Chromium from Debian's `chromium` package, driven by puppeteer-core (which never
 * downloads a browser). Each launch gets a fresh profile in a temp dir. Every page records
 * requests to hosts other than the app's and console errors, so tests can assert there are none.
 */
import { mkdirSync } from 'node:fs'
import type { Browser, Page } from 'puppeteer-core'
import { launchChromium } from '../../console/chromium.js'

export interface TestBrowser {
  browser: Browser
  /** A new page at 1920×1080 that records foreign requests and console errors, in its own cookie jar unless `sameContextAs` is given. */
  page(sameContextAs?: Page): Promise<WatchedPage>
  close(): Promise<void>
}

export interface WatchedPage {
  page: Page
  /** URLs requested from any origin other than `origin`. */
  foreign: string[]
  /** console.error messages and uncaught page errors. */
  errors: string[]
}

export async function launchBrowser (origin: string): Promise<TestBrowser> {
  const { browser, close } = await launchChromium()
  return {
    browser,
    async page (sameContextAs?: Page) {
      const context = sameContextAs ? sameContextAs.browserContext() : await browser.createBrowserContext()
      const page = await context.newPage()
      const foreign: string[] = []
      const errors: string[] = []
      page.on('request', (r) => {
        const url = r.url()
        if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url)
      })
      // with the resource's URL: "Failed to load resource" alone does not say which request failed
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.location().url ? `${m.text()} (${m.location().url})` : m.text()) })
      page.on('pageerror', (e) => { errors.push(e instanceof Error && e.stack ? `${String(e)} at ${e.stack.split('\n').slice(1, 8).map((l) => l.trim()).join(' < ')}` : String(e)) })
      return { page, foreign, errors }
    },
    close
  }
}

/** Saves a 1920×1080 screenshot under .tmp/screenshots/ (docs/images/ holds the committed ones). */
export async function screenshot (page: Page, name: string): Promise<string> {
  mkdirSync('.tmp/screenshots', { recursive: true })
  const path = `.tmp/screenshots/${name}.png` as const
  await page.screenshot({ path })
  return path
}
