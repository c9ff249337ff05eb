// The address ranges a scenario has mapped and not yet unmapped, so the
// runner can clean up after it (also after a failure) without ever touching
// memory that the runtime has since placed in a hole the scenario made.

export class OwnedRanges {
  private ranges: Array<[bigint, bigint]> = [];

  add(start: bigint, end: bigint): void {
    this.remove(start, end);
    this.ranges.push([start, end]);
  }

  remove(start: bigint, end: bigint): void {
    this.ranges = this.ranges.flatMap(([s, e]): Array<[bigint, bigint]> => {
      if (e <= start || s >= end) return [[s, e]];
      const kept: Array<[bigint, bigint]> = [];
      if (s < start) kept.push([s, start]);
      if (e > end) kept.push([end, e]);
      return kept;
    });
  }

  /** Takes every range out, for unmapping. */
  drain(): Array<[bigint, bigint]> {
    const all = this.ranges;
    this.ranges = [];
    return all;
  }
}
