/**
 * npm run bench [-- name ...]: runs bench/<name>.bench.ts files in sequence (one at a
 * time: they share this 2-core machine) and writes each result into docs/performance.md
 * between `<!-- bench:name -->` markers, with the command that made it.
 *
 * A bench file default-exports `async (): Promise<BenchResult>`.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import os from 'node:os'

export interface BenchResult {
  /** Section title in docs/performance.md. */
  title: string
  /** Markdown body: a table of figures, targets and the verdict. */
  markdown: string
}

const here = dirname(fileURLToPath(import.meta.url))
const docFile = join(here, '..', 'docs', 'performance.md')

const wanted = process.argv.slice(2)
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, '')).sort()
const names = wanted.length > 0 ? wanted : all
for (const n of names) if (!all.includes(n)) throw new Error(`no bench/${n}.bench.ts (have: ${all.join(', ')})`)

let doc = existsSync(docFile) ? readFileSync(docFile, 'utf8') : '# Performance\n\nFigures written by `npm run bench`; each section names the command that made it.\n'
for (const name of names) {
  process.stdout.write(`bench ${name} ...\n`)
  const mod = await import(join(here, `${name}.bench.ts`)) as { default: () => Promise<BenchResult> }
  const result = await mod.default()
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
  const body = `<!-- bench:${name} -->\n## ${result.title}\n\nCommand: \`npm run bench -- ${name}\` · measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}\n\n${result.markdown.trim()}\n<!-- /bench:${name} -->`
  const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`)
  doc = re.test(doc) ? doc.replace(re, body) : `${doc.trimEnd()}\n\n${body}\n`
  writeFileSync(docFile, doc)
  process.stdout.write(result.markdown.trim() + '\n\n')
}
