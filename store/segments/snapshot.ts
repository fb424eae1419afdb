/**
 * A consistent copy of a SegmentQueue's dir (the outage spool, an uplink queue) while it is in use
 * (docs/storage.md *Backups*). Every file operation of the queue but fsync is synchronous, so
 * captureQueueDir, itself synchronous, sees the dir between two operations: it reads the small
 * files (cursor.json, version.json) and opens every segment, keeping its size. Segments are
 * append-only, and an open descriptor keeps a segment that is released meanwhile readable, so
 * copying the first `size` bytes afterwards gives the segments as they were at capture.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs'
import { read } from 'node:fs'
import { join } from 'node:path'

export interface QueueDirCapture {
  small: Array<{ name: string, bytes: Buffer }>
  segments: Array<{ name: string, fd: number, size: number }>
}

function readAsync (fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))))
}
const SMALL_FILES = ['cursor.json', 'version.json']

/** Synchronous: run it with nothing awaited in between on the queue's side (see above). */
export function captureQueueDir (dir: string): QueueDirCapture {
  const small = SMALL_FILES.filter((n) => existsSync(join(dir, n))).map((name) => ({ name, bytes: readFileSync(join(dir, name)) }))
  const segments: QueueDirCapture['segments'] = []
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.seg')).sort()) {
    const fd = openSync(join(dir, name), 'r')
    segments.push({ name, fd, size: fstatSync(fd).size })
  }
  return { small, segments }
}

/** Writes a capture into `target` (created); closes its descriptors whatever happens. Returns the files written. */
export async function writeQueueCapture (c: QueueDirCapture, target: string): Promise<string[]> {
  try {
    mkdirSync(target, { recursive: true })
    for (const f of c.small) writeFileSync(join(target, f.name), f.bytes)
    for (const s of c.segments) {
      const buf = Buffer.alloc(s.size) // a segment is at most segmentBytes (plus one batch)
      let at = 0
      while (at < s.size) {
        const n = await readAsync(s.fd, buf, at, s.size - at, at)
        if (n === 0) throw new Error(`${s.name} ended at ${at} of ${s.size} bytes while it was copied`)
        at += n
      }
      writeFileSync(join(target, s.name), buf)
    }
    return [...c.small.map((f) => f.name), ...c.segments.map((s) => s.name)]
  } finally {
    for (const s of c.segments) closeSync(s.fd)
  }
}
