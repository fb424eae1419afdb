/**
 * Client ids bound to identities. MQTT lets a CONNECT with a known client id take over that
 * session ([MQTT-3.1.4-2]): with clean=1 it wipes it, with clean=0 it drains its queued messages.
 * So a client id belongs to one username:
 * - an id that is a username, or starts with a username and a separator (`ZJ-DUST01`,
 *   `ZJ-DUST01-7f3a`, `svc-ingest:1`), is reserved for that username (the longest such username
 *   wins), even before it ever connected: nobody can squat a device's own id;
 * - any other id belongs to the first username that logs in with it, for as long as its session
 *   may exist: until a clean session disconnects; a persistent session keeps it (as aedes keeps
 *   the session) until the broker restarts.
 */

/** Characters that end a username prefix inside a client id. */
const SEPARATORS = new Set(['-', '_', ':', '/', '.', '@', '#'])

export class ClientIdOwners {
  private readonly claimed = new Map<string, string>()
  /** Longest username: only prefixes up to this length are looked up (client ids may be 64 KiB long). */
  private longest = 0

  constructor (private usernames: ReadonlySet<string>) {
    this.setUsernames(usernames)
  }

  /** A config reload changed who may log in: reserved ids follow the new usernames (claims stay). */
  setUsernames (usernames: ReadonlySet<string>): void {
    this.usernames = usernames
    this.longest = Math.max(0, ...[...usernames].map((u) => u.length))
  }

  /** The username a client id belongs to, or undefined when anyone may claim it. */
  ownerOf (clientId: string): string | undefined {
    return this.reservedFor(clientId) ?? this.claimed.get(clientId)
  }

  /** Records that `username` logged in with `clientId` (an id reserved for it needs no record). */
  claim (clientId: string, username: string): void {
    if (this.reservedFor(clientId) === undefined) this.claimed.set(clientId, username)
  }

  /** A clean session of `username` ended: its id is free again. */
  release (clientId: string, username: string): void {
    if (this.claimed.get(clientId) === username) this.claimed.delete(clientId)
  }

  /** Ids currently claimed (not counting reserved ones; for tests and metrics). */
  get size (): number { return this.claimed.size }

  private reservedFor (clientId: string): string | undefined {
    if (this.usernames.has(clientId)) return clientId
    for (let i = Math.min(clientId.length - 1, this.longest); i > 0; i--) {
      if (SEPARATORS.has(clientId[i]!) && this.usernames.has(clientId.slice(0, i))) return clientId.slice(0, i)
    }
    return undefined
  }
}
