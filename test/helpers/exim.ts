/**
 * Starts a real Exim (Debian's exim4-daemon-light) in the foreground on free ports in a temp dir:
 * `smtpPort` plain with STARTTLS offered, `smtpsPort` implicit TLS, AUTH PLAIN and LOGIN over TLS
 * only, delivering every accepted message to a maildir under the temp dir (messages()).
 *
 * Refusals it makes, as a real relay would (ACL on RCPT): a local part not in EXIM_MAILBOXES → 550 unknown user;
 * while setMode('busy') → 451 for every recipient; while setMode('refuse') → 550 for every recipient.
 * Only domain mine.example is accepted (any other: 550 relay not permitted).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { writeFileSync, existsSync, readdirSync, readFileSync, rmSync, mkdirSync, chmodSync, chownSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:net'
import { freePort, tempDir, waitFor } from './ports.js'

export const EXIM_BIN = ['/usr/sbin/exim4', '/usr/sbin/exim'].find((p) => existsSync(p)) ?? 'exim4'
export const EXIM_DOMAIN = 'mine.example'
/** The mailboxes of ${EXIM_DOMAIN}; any other local part is refused at RCPT (550 unknown user). */
export const EXIM_MAILBOXES = ['ops', 'duty', 'alerts'] as const
/** The user Debian's package runs Exim deliveries as. */
const EXIM_USER = 'Debian-exim'

export interface EximHandle {
  smtpPort: number
  smtpsPort: number
  /** The server certificate (self-signed, CN localhost, SAN 127.0.0.1): trust it as the CA. */
  caFile: string
  user: string
  password: string
  /** How the next RCPTs are answered. */
  setMode(m: 'ok' | 'busy' | 'refuse'): void
  /** Raw messages delivered to `localPart`, oldest first. */
  messages(localPart: string): string[]
  stop(): Promise<void>
}

export async function startExim (): Promise<EximHandle> {
  const dir = tempDir('exim-')
  const smtpPort = await freePort()
  const smtpsPort = await freePort()
  const cert = join(dir.path, 'cert.pem')
  const key = join(dir.path, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' })
  for (const d of ['spool', 'log', 'mail']) mkdirSync(join(dir.path, d))
  // Exim never delivers as root (fixed_never_users): the maildir belongs to its own user
  const eximUid = Number(execFileSync('id', ['-u', EXIM_USER]).toString().trim())
  const eximGid = Number(execFileSync('id', ['-g', EXIM_USER]).toString().trim())
  chmodSync(dir.path, 0o711)
  chownSync(join(dir.path, 'mail'), eximUid, eximGid)
  const user = 'alerts@mine.example'
  const password = 'smtp-test-pw-3f9'
  const conf = join(dir.path, 'exim.conf')
  writeFileSync(conf, `
primary_hostname = smtp.${EXIM_DOMAIN}
spool_directory = ${dir.path}/spool
log_file_path = ${dir.path}/log/%slog
pid_file_path = ${dir.path}/exim.pid
exim_user = root
exim_group = root
never_users =
trusted_users = root
daemon_smtp_ports = ${smtpPort} : ${smtpsPort}
tls_on_connect_ports = ${smtpsPort}
local_interfaces = <; 127.0.0.1.${smtpPort} ; 127.0.0.1.${smtpsPort}
keep_environment =
host_lookup =
rfc1413_hosts =
domainlist local_domains = ${EXIM_DOMAIN}
tls_advertise_hosts = *
tls_certificate = ${cert}
tls_privatekey = ${key}
auth_advertise_hosts = \${if eq{$tls_in_cipher}{}{}{*}}
acl_smtp_rcpt = acl_rcpt
message_size_limit = 1M

begin acl
acl_rcpt:
  defer   condition = \${if exists{${dir.path}/busy}}
          message = 451 4.3.2 try again later (test: busy)
  deny    condition = \${if exists{${dir.path}/refuse}}
          message = 550 5.7.1 refused by policy (test: refuse)
  deny    !domains = +local_domains
          message = 550 5.7.1 relay not permitted
  deny    !local_parts = ${EXIM_MAILBOXES.join(' : ')}
          message = 550 5.1.1 <$local_part@$domain>: unknown user
  accept

begin routers
maildir_user:
  driver = accept
  domains = +local_domains
  local_parts = ${EXIM_MAILBOXES.join(' : ')}
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = ${dir.path}/mail/$local_part_data
  maildir_format
  create_directory
  user = ${EXIM_USER}
  mode = 0600

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{eq{$auth2}{${user}}}{eq{$auth3}{${password}}}}}
  server_set_id = $auth2
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if and{{eq{$auth1}{${user}}}{eq{$auth2}{${password}}}}}
  server_set_id = $auth1
`)
  const child: ChildProcess = spawn(EXIM_BIN, ['-C', conf, '-bdf', '-q30m'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString() })
  let exited = false
  child.once('exit', () => { exited = true })
  await waitFor(() => new Promise<boolean>((resolve) => {
    if (exited) throw new Error(`exim exited at start (is exim4-daemon-light installed? tried ${EXIM_BIN}): ${stderr}`)
    const s = connect(smtpPort, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  }), 15_000, 'exim to listen')
  const flag = (name: string) => join(dir.path, name)
  return {
    smtpPort,
    smtpsPort,
    caFile: cert,
    user,
    password,
    setMode (m) {
      rmSync(flag('busy'), { force: true })
      rmSync(flag('refuse'), { force: true })
      if (m !== 'ok') writeFileSync(flag(m), '')
    },
    messages (localPart) {
      const d = join(dir.path, 'mail', localPart, 'new')
      if (!existsSync(d)) return []
      return readdirSync(d).map((f) => join(d, f)).sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs || a.localeCompare(b)).map((f) => readFileSync(f, 'utf8'))
    },
    async stop () {
      // deliveries run in children of the daemon: let the queue drain first, so none writes into the dir after it is removed
      const input = join(dir.path, 'spool', 'input')
      await waitFor(() => !existsSync(input) || readdirSync(input).length === 0, 10_000, 'the exim queue to drain').catch(() => undefined)
      if (!exited) {
        child.kill('SIGTERM')
        await new Promise((r) => child.once('exit', r))
      }
      dir.remove()
    }
  }
}

/** A received message: unfolded headers (Subject decoded from RFC 2047 independently of the sender's code) and the decoded body. */
export interface Received { headers: Map<string, string>, subject: string, text: string }

/** Decodes one raw message as a mail client would: RFC 5322 unfolding, RFC 2047 B and Q words, base64 or 8bit body. */
export function decodeMail (raw: string): Received {
  const lf = raw.replace(/\r\n/g, '\n')
  const at = lf.indexOf('\n\n')
  const head = lf.slice(0, at).replace(/\n[ \t]+/g, ' ')
  const headers = new Map<string, string>()
  for (const line of head.split('\n')) {
    const i = line.indexOf(':')
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim())
  }
  // adjacent encoded-words separated by white space only are joined without it (RFC 2047 §6.2)
  const subject = (headers.get('subject') ?? '').replace(/\?=\s+=\?/g, '?==?').replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
    enc.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'))
  const rawBody = lf.slice(at + 2)
  const cte = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase()
  const text = (cte === 'base64' ? Buffer.from(rawBody.replace(/\s+/g, ''), 'base64').toString('utf8') : rawBody).replace(/\r\n/g, '\n')
  return { headers, subject, text }
}
