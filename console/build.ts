/**
 * Builds the web console (console/src) into static files that api/routes/console.ts serves:
 * dist/console/index.html and dist/console/assets/app-<hash>.{js,css} (ECharts in a chunk-<hash>.js loaded
 * on first use). Everything is bundled
 * (ECharts, Leaflet, fonts are the system's): the page needs no CDN and no internet.
 *   tsx console/build.ts [--out DIR] [--metafile]
 */
import { build } from 'esbuild'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface ConsoleBuild {
  dir: string
  /** Bytes of each emitted asset, raw and gzipped. */
  files: { name: string, bytes: number, gzipBytes: number }[]
}

function indexHtml (js: string, css: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>minewatch 矿山一屏</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${css}">
<script type="module" src="/assets/${js}"></script>
</head>
<body><div id="app"></div></body>
</html>
`
}

/** Bundles, minifies and writes the console to `outDir` (default dist/console). */
export async function buildConsole (outDir = join(ROOT, 'dist/console')): Promise<ConsoleBuild> {
  const dir = resolve(outDir)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(join(dir, 'assets'), { recursive: true })
  const result = await build({
    entryPoints: { app: join(ROOT, 'console/src/main.ts') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome109', 'firefox115', 'safari16'], // browsers of control-room PCs still on Windows 7/10 era Chromium 109
    outdir: join(dir, 'assets'),
    splitting: true, // ECharts is a chunk of its own, loaded when the first chart is drawn (console/src/charts.ts)
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    loader: { '.png': 'file', '.svg': 'file' },
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning'
  })
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p))
  const js = Object.entries(result.metafile.outputs).filter(([p, o]) => p.endsWith('.js') && o.entryPoint !== undefined).map(([p]) => basename(p))[0]
  const css = outputs.find((f) => f.endsWith('.css'))
  if (!js || !css) throw new Error(`console build: expected a .js and a .css output, got ${outputs.join(', ')}`)
  writeFileSync(join(dir, 'index.html'), indexHtml(js, css))
  const files = Object.entries(result.metafile.outputs).map(([p, o]) => {
    const name = basename(p)
    return { name, bytes: o.bytes, gzipBytes: gzipSync(readFileSync(p)).length }
  })
  return { dir, files }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out')
  const out = i > 0 ? process.argv[i + 1] : undefined
  buildConsole(out).then((b) => {
    process.stdout.write(`console built into ${b.dir}\n`)
  }, (err: Error) => {
    process.stderr.write(`console build failed: ${err.message}\n`)
    process.exit(1)
  })
}
