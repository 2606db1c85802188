// The software TLB: one flat Int32Array per tag, indexed by linear page number (v86, JSLinux). An
// entry is the host-physical frame address ORed with permission bits, so a hit is one load and one
// mask compare. Entries carry a tag (the VPID under VT-x; 0 outside VMX non-root): each tag has its own
// array, so switching tags costs nothing on the hit path. All flushes go through this class.

/** Permission bits in the low 12 bits of an entry. A hit needs (entry & accessMask) === VALID. */
export const TlbBit = {
  VALID: 1 << 0,
  /** A supervisor page: user-mode accesses must walk (and fault). */
  NO_USER: 1 << 1,
  /** Supervisor writes must walk: read-only with CR0.WP set, or the dirty bit is still clear. */
  NO_WRITE_SUP: 1 << 2,
  /** User writes must walk: read-only, supervisor, or the dirty bit is still clear. */
  NO_WRITE_USER: 1 << 3,
  /** A global page (PTE.G with CR4.PGE): survives CR3 loads. */
  GLOBAL: 1 << 4,
  /** Not RAM (open bus beyond the end of memory): every access takes the slow path. */
  SLOW: 1 << 5,
  /** The second stage (EPT) does not allow every access to the page: no access may hit, each one
   *  walks again so the second stage checks its kind (read, write, fetch). */
  RESTRICTED: 1 << 6,
} as const;

/** Access masks for the hit test, by privilege (supervisor / user) and direction. */
export const TlbMask = {
  READ_SUP: TlbBit.VALID | TlbBit.SLOW | TlbBit.RESTRICTED,
  READ_USER: TlbBit.VALID | TlbBit.SLOW | TlbBit.RESTRICTED | TlbBit.NO_USER,
  WRITE_SUP: TlbBit.VALID | TlbBit.SLOW | TlbBit.RESTRICTED | TlbBit.NO_WRITE_SUP,
  WRITE_USER: TlbBit.VALID | TlbBit.SLOW | TlbBit.RESTRICTED | TlbBit.NO_WRITE_USER,
} as const;

const PAGES = 1 << 20;
/** Filled entries remembered per context; past this a flush clears the whole array instead. */
const LIST_CAPACITY = 1 << 14;
/** Tags kept at once; the least recently used context is flushed to make room (always allowed:
 *  a TLB may drop any entry at any time, SDM Vol. 3 §4.10.4.4). */
const MAX_CONTEXTS = 4;

class TlbContext {
  readonly data = new Int32Array(PAGES);
  readonly filled = new Int32Array(LIST_CAPACITY);
  count = 0;
  overflow = false;
  lastUse = 0;
  constructor(public tag: number) {}
}

export class Tlb {
  /** The current context's entries (the hit path reads this directly). */
  data: Int32Array;
  tag = 0;
  /** Called after every flush and tag switch: the run loop's block chains cache translations of
   *  their successors and must be re-validated (state.ts Cpu.codeGen). */
  onFlush: () => void = () => {};
  /** Called when `data` changes (a tag switch): the processor caches the array. */
  onSwitch: (data: Int32Array) => void = () => {};
  private current: TlbContext;
  private readonly contexts: TlbContext[] = [];
  private useClock = 0;

  constructor() {
    this.current = new TlbContext(0);
    this.contexts.push(this.current);
    this.data = this.current.data;
  }

  /** Installs an entry for linear page `page` in the current context. */
  insert(page: number, entry: number): void {
    const ctx = this.current;
    if (ctx.data[page] === 0) {
      if (ctx.count < LIST_CAPACITY) ctx.filled[ctx.count++] = page;
      else ctx.overflow = true;
    }
    ctx.data[page] = entry;
  }

  /** Switches to the entries tagged `tag` (VPID), creating or recycling a context. */
  setTag(tag: number): void {
    if (tag === this.tag) return;
    this.onFlush();
    let ctx = this.contexts.find((c) => c.tag === tag);
    if (!ctx) {
      if (this.contexts.length < MAX_CONTEXTS) {
        ctx = new TlbContext(tag);
        this.contexts.push(ctx);
      } else {
        ctx = this.contexts.reduce((a, b) => (a.lastUse <= b.lastUse ? a : b));
        clear(ctx, false);
        ctx.tag = tag;
      }
    }
    ctx.lastUse = ++this.useClock;
    this.current = ctx;
    this.data = ctx.data;
    this.tag = tag;
    this.onSwitch(ctx.data);
  }

  /** True when entries tagged `tag` are kept (switching to it reuses them). */
  has(tag: number): boolean {
    // Every VM entry asks (vm-entry.ts keepTlb): a plain loop, no callback.
    const cs = this.contexts;
    for (let i = 0; i < cs.length; i++) if (cs[i]!.tag === tag) return true;
    return false;
  }

  /** Drops the entry for one linear page in the context tagged `tag` (INVVPID individual address). */
  flushTagPage(tag: number, linear: number): void {
    this.onFlush();
    const ctx = this.contexts.find((c) => c.tag === tag);
    if (ctx) ctx.data[linear >>> 12] = 0;
  }

  /** INVLPG / single-page invalidation in the current context (global entries too, SDM §4.10.4.1). */
  flushPage(linear: number): void {
    this.onFlush();
    this.current.data[linear >>> 12] = 0;
  }

  /** MOV CR3: drops the current context's non-global entries (SDM §4.10.4.1). */
  flushNonGlobal(): void {
    this.onFlush();
    clear(this.current, true);
  }

  /** Drops every entry of the current context, global ones included (CR4.PGE/PSE/CR0.PG changes). */
  flushCurrent(): void {
    this.onFlush();
    clear(this.current, false);
  }

  /** Drops every entry tagged `tag` (INVVPID single-context). */
  flushTag(tag: number): void {
    this.onFlush();
    const ctx = this.contexts.find((c) => c.tag === tag);
    if (ctx) clear(ctx, false);
  }

  /** Drops everything, every tag (INVVPID all-context, INVEPT, VMXON...). */
  flushAll(): void {
    this.onFlush();
    for (const ctx of this.contexts) clear(ctx, false);
  }
}

function clear(ctx: TlbContext, keepGlobal: boolean): void {
  if (ctx.overflow) {
    if (keepGlobal) {
      const d = ctx.data;
      for (let i = 0; i < PAGES; i++) if ((d[i]! & TlbBit.GLOBAL) === 0) d[i] = 0;
    } else {
      ctx.data.fill(0);
    }
    ctx.count = 0;
    ctx.overflow = false;
    if (keepGlobal) rebuildList(ctx);
    return;
  }
  const d = ctx.data;
  const list = ctx.filled;
  let kept = 0;
  for (let i = 0; i < ctx.count; i++) {
    const page = list[i]!;
    const e = d[page]!;
    if (keepGlobal && (e & TlbBit.GLOBAL) !== 0) list[kept++] = page;
    else d[page] = 0;
  }
  ctx.count = kept;
}

function rebuildList(ctx: TlbContext): void {
  const d = ctx.data;
  for (let i = 0; i < PAGES; i++) {
    if (d[i] !== 0) {
      if (ctx.count < LIST_CAPACITY) ctx.filled[ctx.count++] = i;
      else {
        ctx.overflow = true;
        return;
      }
    }
  }
}
