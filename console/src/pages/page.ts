/** What a page gives the router: its title and how to stop its timers, streams and charts. */
export interface Page {
  title: string
  dispose(): void
}
