/**
 * Fuzzes the HJ 212 codec (hj212/: stream reassembly, envelope, data segment, tolerances, split
 * assembly, mapping) with random and mutated frames: FUZZ_CASES cases (default 1,000,000), each
 * fed in random chunks through every pure step the gateway runs. A crash is any exception; a hang
 * is a case that takes longer than HANG_MS. Valid random frames must also round-trip exactly.
 * Seeded: `FUZZ_SEED=n npm run fuzz:hj212` reproduces a run.
 */
import { readFileSync } from 'node:fs'
import { isDeepStrictEqual } from 'node:util'
import { Rng } from '../simulators/prng.js'
import { FrameSplitter } from '../hj212/stream.js'
import { checkPacket, decodePacket, decodeSegment, encodeFrame, type CpGroup, type EnvelopeTolerance, type Frame } from '../hj212/frame.js'
import { SplitAssembler } from '../hj212/split.js'
import { isDataCommand, mapDataFrame } from '../hj212/mapping.js'
import type { BenchResult } from './run.js'

const CASES = Number(process.env.FUZZ_CASES ?? 1_000_000)
const SEED = Number(process.env.FUZZ_SEED ?? 212)
const HANG_MS = 1000 // one case taking longer than this counts as a hang

const corpus = [
  ...(JSON.parse(readFileSync('test/fixtures/hj212/frames.json', 'utf8')) as Array<{ wire: string }>).map((f) => f.wire),
  ...(JSON.parse(readFileSync('test/fixtures/hj212/quirks.json', 'utf8')) as Array<{ wire: string }>).map((f) => f.wire),
  ...(JSON.parse(readFileSync('test/fixtures/hj212/malformed.json', 'utf8')) as Array<{ wire: string }>).map((f) => f.wire)
].map((w) => Buffer.from(w))

const TOLERANCES: EnvelopeTolerance[] = [
  { length: 'bytes', crc: 'standard' }, { length: 'chars', crc: 'swapped' }, { length: 'any', crc: 'off' }
]
const NAMES = ['a34001-Rtd', 'a34002-Avg', 'a34004-Min', 'PM25-Rtd', 'LA-td', 'w00000-Cou', 'B01-Avg', 'a01001-Flag', 'DataTime', 'x-', '-Rtd', '', 'TSP', 'QnRtn']
const VALUES = ['312.5', '', 'N', 'D', '1e309', '-0', 'NaN', '20250301103000', '20250301103000123', '扬尘', '&&', '=', ',', ';', '0x1F']
const CNS = ['2011', '2051', '2061', '2031', '2021', '9014', '9011', '1012', '', 'abcd']

function randomBytes (rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = rng.chance(0.5) ? rng.int(0, 255) : rng.pick([0x23, 0x0d, 0x0a, 0x3b, 0x3d, 0x26, 0x2c, 0x30, 0x41])
  return b
}

function randomFrame (rng: Rng): Frame {
  const cp: CpGroup[] = []
  for (let g = rng.int(0, 8); g > 0; g--) {
    const group: CpGroup = []
    for (let p = rng.int(1, 4); p > 0; p--) group.push([rng.pick(NAMES.filter((n) => n !== '')), rng.pick(VALUES.filter((v) => !/[;,&=]/.test(v)))])
    cp.push(group)
  }
  const f: Frame = { qn: String(rng.int(0, 1e9)), st: rng.pick(['22', '32', '39', '91']), cn: rng.pick(CNS.filter((c) => c !== '')), pw: 'p' + rng.int(0, 999), mn: 'MN' + rng.int(0, 99), flag: rng.int(0, 9), cp }
  if (rng.chance(0.2)) { f.pnum = rng.int(1, 5); f.pno = rng.int(1, 5) }
  return f
}

function mutate (rng: Rng, src: Buffer): Buffer {
  let b = Buffer.from(src)
  for (let m = rng.int(1, 4); m > 0; m--) {
    const at = rng.int(0, Math.max(0, b.length - 1))
    switch (rng.int(0, 6)) {
      case 0: if (b.length > 0) b[at] = b[at]! ^ (1 << rng.int(0, 7)); break // bit flip
      case 1: b = Buffer.concat([b.subarray(0, at), randomBytes(rng, rng.int(1, 8)), b.subarray(at)]); break // insert
      case 2: b = Buffer.concat([b.subarray(0, at), b.subarray(at + rng.int(1, 16))]); break // delete
      case 3: b = b.subarray(0, at); break // truncate
      case 4: b = Buffer.concat([b, b.subarray(rng.int(0, b.length))]); break // duplicate a tail
      case 5: b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(VALUES)), b.subarray(at)]); break // inject a token
      default: if (b.length > 6) b.write(String(rng.int(0, 9999)).padStart(4, '0'), 2, 'latin1') // random length field
    }
  }
  return b
}

export default async function fuzz (): Promise<BenchResult> {
  const rng = new Rng(SEED)
  let crashes = 0
  let hangs = 0
  let roundTripFailures = 0
  let frames = 0
  let accepted = 0
  let maxCaseMs = 0
  const firstCrash: string[] = []
  const kinds = { random: 0, mutated: 0, valid: 0 }
  const t0 = performance.now()
  for (let i = 0; i < CASES; i++) {
    const r = rng.next()
    let input: Buffer
    let valid: Frame | undefined
    if (r < 0.1) { input = randomBytes(rng, rng.int(0, 300)); kinds.random++ } else if (r < 0.3) {
      valid = randomFrame(rng); input = encodeFrame(valid); kinds.valid++
    } else { input = mutate(rng, rng.pick(corpus)); kinds.mutated++ }
    const start = performance.now()
    try {
      const splitter = new FrameSplitter({ maxFrameBytes: rng.chance(0.1) ? 64 : undefined })
      const splits = new SplitAssembler(1000)
      for (let at = 0; at < input.length;) {
        const n = rng.int(1, 64)
        for (const item of splitter.push(input.subarray(at, at + n))) {
          if (item.kind !== 'frame') continue
          frames++
          const env = decodePacket(item.raw)
          if (!env.ok) continue
          const text = env.packet.segment.toString('utf8')
          const checked = checkPacket(env.packet, text, rng.pick(TOLERANCES))
          const seg = decodeSegment(text)
          if (!seg.ok) continue
          if (valid && checked.ok && !isDeepStrictEqual(seg.frame, valid)) roundTripFailures++
          const assembled = splits.add(seg.frame, i)
          const f = assembled.state === 'whole' || assembled.state === 'complete' ? assembled.frame : seg.frame
          if (isDataCommand(f.cn)) {
            const m = mapDataFrame(f, f.cn, { kind: rng.chance(0.5) ? 'dust' : 'water', minuteIntervalS: 60 })
            if (m.reading) accepted++
          }
          splits.expire(i + 2000)
        }
        at += n
      }
    } catch (err) {
      crashes++
      if (firstCrash.length < 3) firstCrash.push(`${(err as Error).message} ← ${JSON.stringify(input.toString('latin1')).slice(0, 200)}`)
    }
    const ms = performance.now() - start
    if (ms > maxCaseMs) maxCaseMs = ms
    if (ms > HANG_MS) hangs++
  }
  const seconds = (performance.now() - t0) / 1000
  const ok = crashes === 0 && hangs === 0 && roundTripFailures === 0 && CASES >= 1_000_000
  const markdown = `| figure | value |
|---|---|
| cases (seed ${SEED}) | ${CASES.toLocaleString('en')} (random bytes ${kinds.random.toLocaleString('en')}, mutated fixtures ${kinds.mutated.toLocaleString('en')}, valid random frames ${kinds.valid.toLocaleString('en')}) |
| frames cut from the streams | ${frames.toLocaleString('en')} (${accepted.toLocaleString('en')} mapped to a reading) |
| crashes (exceptions) | ${crashes}${firstCrash.length ? ` — ${firstCrash.join('; ')}` : ''} |
| hangs (a case over ${HANG_MS} ms) | ${hangs} (slowest case ${maxCaseMs.toFixed(1)} ms) |
| round-trip failures of valid frames | ${roundTripFailures} |
| run time | ${seconds.toFixed(1)} s (${Math.round(CASES / seconds).toLocaleString('en')} cases/s) |
| verdict | ${ok ? 'pass: 0 crashes, 0 hangs' : 'FAIL'} |`
  return { title: 'HJ 212 codec fuzzing', markdown }
}
