// What this client unregistered, and from which stream epoch on the daemon
// names those cookies no more (UnregisterResponse.epoch in the proto). A
// stream batch taken before the Unregister may still be on its way when the
// call returns; its epoch is older, and the client's own subscriptions drop
// its reports for those cookies, so that after unregister() resolves no
// report for them reaches the caller.

export class UnregisterFences {
  /** cookie -> the epoch its latest Unregister returned. */
  private readonly fences = new Map<bigint, bigint>();
  private readonly readers = new Set<FenceReader>();
  /** The highest epoch any Unregister of ours returned. */
  private highest = 0n;

  /** An Unregister of `cookies` returned `epoch`. */
  record(cookies: readonly bigint[], epoch: bigint): void {
    if (epoch > this.highest) this.highest = epoch;
    // A subscription opened from now on only gets batches taken at this
    // epoch or later: without one open, there is nothing to filter.
    if (this.readers.size === 0) return;
    for (const cookie of cookies) this.fences.set(cookie, epoch);
  }

  /** One subscription's view; close it with the subscription. */
  reader(): FenceReader {
    const reader = new FenceReader(this, this.highest);
    this.readers.add(reader);
    return reader;
  }

  /** Whether a report for `cookie`, in a batch taken at `epoch`, predates the cookie's Unregister. */
  stale(cookie: bigint, epoch: bigint): boolean {
    const fence = this.fences.get(cookie);
    return fence !== undefined && epoch < fence;
  }

  /** Forgets fences that every open subscription has passed. */
  prune(): void {
    if (this.fences.size === 0) return;
    let oldest: bigint | undefined;
    for (const r of this.readers) if (oldest === undefined || r.seen < oldest) oldest = r.seen;
    for (const [cookie, fence] of this.fences) if (oldest === undefined || fence <= oldest) this.fences.delete(cookie);
  }

  /** Fences held (for tests: they must not grow without bound). */
  get size(): number {
    return this.fences.size;
  }

  drop(reader: FenceReader): void {
    this.readers.delete(reader);
    this.prune();
  }
}

export class FenceReader {
  constructor(
    private readonly fences: UnregisterFences,
    /** The newest batch epoch this subscription's caller has been handed: batches come in epoch order. */
    public seen: bigint,
  ) {}

  /**
   * Whether the caller may be handed `report`, from a batch taken at
   * `epoch`: asked as each report is handed over, not as it arrives, so a
   * report already received when unregister() was called is dropped too.
   */
  admits(report: { readonly kind: string; readonly cookie?: bigint }, epoch: bigint): boolean {
    if (epoch > this.seen) {
      this.seen = epoch;
      this.fences.prune();
    }
    return report.cookie === undefined || !this.fences.stale(report.cookie, epoch);
  }

  close(): void {
    this.fences.drop(this);
  }
}
