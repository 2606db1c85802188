// Shadow-paging counters for `--stats` and `--stats-json`: what the shadow MMU did on the guest's
// behalf (hidden faults it absorbed, faults it passed on, entries it filled and dropped, page-table
// writes it emulated, address-space switches and how its cache of shadow roots served them).

export class ShadowStats {
  /** #PF exits the guest never saw: the shadow entry was filled (or upgraded) and the access retried. */
  hiddenFaults = 0;
  /** #PF exits that were the guest's own fault: injected with the guest walk's error code and CR2. */
  injectedFaults = 0;
  /** Shadow PTEs written from a guest translation (fills and dirty/permission upgrades). */
  fills = 0;
  /** Shadow PTEs of direct tables (4 MiB guest pages, the identity map) filled ahead of use. */
  prefetched = 0;
  /** Writes to write-protected guest page tables emulated with the decoder. */
  emulatedWrites = 0;
  /** Writing instructions the emulator does not handle, single-stepped with the monitor trap flag. */
  singleSteps = 0;
  /** Shadow entries dropped because the guest changed (or INVLPG showed a change in) its entry. */
  zaps = 0;
  /** Shadow pages dropped because their guest page was written to repeatedly without being used
   *  as a page table (KVM's write-flooding heuristic). */
  unshadowed = 0;
  /** MOV to CR3 (and NEW_CR3 hypercalls) with paging on, and paging turned on or off. */
  cr3Switches = 0;
  rootHits = 0;
  rootMisses = 0;
  /** Roots dropped from the cache (LRU) to respect its bounds. */
  rootEvictions = 0;
  /** Entries a cached root held that no longer matched the guest's page directory when it was
   *  reused (always 0 while write protection works; counted as evidence). */
  staleOnReuse = 0;
  /** Every shadow page dropped at once (CR0.WP/CR4.PSE change, or the frame budget exhausted). */
  resets = 0;
  invlpgs = 0;
  /** Shadow pages (a table frame and its guest-entry mirror frame each) in use now and at most. */
  pagesInUse = 0;
  peakPages = 0;

  lines(): string[] {
    const row = (name: string, n: number): string => `    ${name.padEnd(26)} ${String(n).padStart(10)}`;
    return [
      '  shadow paging:',
      row('hidden faults', this.hiddenFaults),
      row('injected faults', this.injectedFaults),
      row('shadow PTE fills', this.fills),
      row('direct PTEs prefetched', this.prefetched),
      row('write-protect emulations', this.emulatedWrites),
      row('single-stepped writes', this.singleSteps),
      row('entries zapped', this.zaps),
      row('pages unshadowed (flood)', this.unshadowed),
      row('CR3 switches', this.cr3Switches),
      row('root-cache hits', this.rootHits),
      row('root-cache misses', this.rootMisses),
      row('root evictions', this.rootEvictions),
      row('stale entries on reuse', this.staleOnReuse),
      row('resets', this.resets),
      row('INVLPG', this.invlpgs),
      row('shadow pages (peak)', this.peakPages),
    ];
  }

  toJson(): ShadowStatsJson {
    return {
      hiddenFaults: this.hiddenFaults,
      injectedFaults: this.injectedFaults,
      fills: this.fills,
      prefetched: this.prefetched,
      emulatedWrites: this.emulatedWrites,
      singleSteps: this.singleSteps,
      zaps: this.zaps,
      unshadowed: this.unshadowed,
      cr3Switches: this.cr3Switches,
      rootHits: this.rootHits,
      rootMisses: this.rootMisses,
      rootEvictions: this.rootEvictions,
      staleOnReuse: this.staleOnReuse,
      resets: this.resets,
      invlpgs: this.invlpgs,
      peakPages: this.peakPages,
    };
  }
}

export interface ShadowStatsJson {
  hiddenFaults: number;
  injectedFaults: number;
  fills: number;
  prefetched: number;
  emulatedWrites: number;
  singleSteps: number;
  zaps: number;
  unshadowed: number;
  cr3Switches: number;
  rootHits: number;
  rootMisses: number;
  rootEvictions: number;
  staleOnReuse: number;
  resets: number;
  invlpgs: number;
  peakPages: number;
}
