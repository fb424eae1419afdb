/**
 * The minewatch web console: hash routes
 *   #/overview                 监管总览 (regulators, admins)
 *   #/site/{id}                矿山一屏
 *   #/alerts?site=&kind=…      告警历史 and one alert's timeline
 *   #/report?site=&date=       日报 (printable, CSV)
 *   #/handover?site=&at=       交接班 (printable)
 * Everything is fetched from this server with the session cookie; nothing from elsewhere.
 */
import './style.css'
import { login, logout, resume, currentSession, setUnauthenticatedHandler, ApiError } from './api.js'
import { h, fill } from './dom.js'
import { t, setLang, currentLang, fmtTime } from './i18n.js'
import { disposeCharts } from './charts.js'
import { sitePage } from './pages/site.js'
import { overviewPage } from './pages/overview.js'
import { alertsPage } from './pages/alerts.js'
import { reportPage } from './pages/report.js'
import { handoverPage } from './pages/handover.js'
import type { Page } from './pages/page.js'

const app = document.getElementById('app')!
let page: Page | null = null
let clock: ReturnType<typeof setInterval> | undefined

function home (): string {
  const s = currentSession()
  if (!s) return '#/login'
  return s.role === 'operator' && s.sites[0] ? `#/site/${encodeURIComponent(s.sites[0])}` : '#/overview'
}

function loginView (message = ''): void {
  clearInterval(clock)
  disposeCharts()
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', placeholder: t('token'), required: true, 'aria-label': t('token') })
  const error = h('p', { class: 'error', role: 'alert' }, message)
  const form = h('form', { class: 'login', 'data-testid': 'login' },
    h('h1', {}, t('title')), h('p', { class: 'hint' }, t('loginHint')), input, h('button', { type: 'submit' }, t('login')), error, langToggle())
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    try {
      await login(input.value.trim())
      const next = home()
      if (location.hash === next) await route()
      else location.hash = next // hashchange routes
    } catch (err) {
      error.textContent = `${t('loginFailed')}: ${err instanceof ApiError ? err.message : String(err)}`
    }
  })
  fill(app, h('div', { class: 'login-wrap' }, form))
  input.focus()
}

function langToggle (): HTMLElement {
  return h('button', {
    type: 'button', class: 'lang', 'data-action': 'lang',
    onclick: () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); void route() }
  }, currentLang() === 'zh' ? 'English' : '中文')
}

function header (title: string, siteId: string | undefined): HTMLElement {
  const s = currentSession()!
  const site = siteId ?? s.sites[0] ?? ''
  const link = (href: string, key: Parameters<typeof t>[0], active: boolean) => h('a', { href, class: active ? 'active' : '' }, t(key))
  const current = location.hash.split('?')[0] ?? ''
  const clockEl = h('span', { class: 'clock' }, fmtTime(Date.now(), true))
  clearInterval(clock)
  clock = setInterval(() => { clockEl.textContent = fmtTime(Date.now(), true) }, 1000)
  return h('header', { class: 'top no-print' },
    h('div', { class: 'brand' }, h('b', {}, 'minewatch'), h('span', {}, title)),
    h('nav', {},
      s.role !== 'operator' ? link('#/overview', 'overview', current === '#/overview') : null,
      site ? link(`#/site/${encodeURIComponent(site)}`, 'screen', current.startsWith('#/site/')) : null,
      link(`#/alerts${site && s.role === 'operator' ? `?site=${encodeURIComponent(site)}` : ''}`, 'alerts', current === '#/alerts'),
      link(`#/report${site ? `?site=${encodeURIComponent(site)}` : ''}`, 'report', current === '#/report'),
      link(`#/handover${site ? `?site=${encodeURIComponent(site)}` : ''}`, 'handover', current === '#/handover')),
    h('div', { class: 'who' }, clockEl, h('span', { class: 'user', 'data-testid': 'user' }, `${s.name} · ${s.role}`), langToggle(),
      h('button', { type: 'button', 'data-action': 'logout', onclick: async () => { page?.dispose(); page = null; await logout(); loginView() } }, t('logout'))))
}

let routing = 0
async function route (): Promise<void> {
  const mine = ++routing
  page?.dispose(); page = null
  disposeCharts()
  if (!currentSession()) {
    await resume()
    if (mine !== routing) return
  }
  if (!currentSession()) { clearInterval(clock); loginView(); return }
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?')
  const params = new URLSearchParams(query)
  if (path === '' || path === '/' || path === '/login') { location.replace(home()); return }
  const main = h('main', { class: 'content' })
  const siteMatch = /^\/site\/([^/]+)$/.exec(path)
  fill(app, header(t('title'), siteMatch ? decodeURIComponent(siteMatch[1]!) : params.get('site') ?? undefined), main)
  try {
    let p: Page
    if (siteMatch) p = await sitePage(main, decodeURIComponent(siteMatch[1]!))
    else if (path === '/overview') p = await overviewPage(main)
    else if (path === '/alerts') p = await alertsPage(main, params)
    else if (path === '/report') p = await reportPage(main, params)
    else if (path === '/handover') p = await handoverPage(main, params)
    else { location.replace(home()); return }
    if (mine !== routing) { p.dispose(); return }
    page = p
    document.title = `${p.title} · minewatch`
    const brand = app.querySelector('.brand span')
    if (brand) brand.textContent = p.title
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return
    fill(main, h('p', { class: 'empty error' }, err instanceof Error ? err.message : String(err)))
  }
}

setUnauthenticatedHandler(() => { page?.dispose(); page = null; loginView() })
setLang(currentLang())
window.addEventListener('hashchange', () => { void route() })
void route()
