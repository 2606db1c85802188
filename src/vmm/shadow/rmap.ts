// The reverse map (KVM's rmap): for each guest frame, every shadow leaf entry that maps it, so that
// when a guest frame becomes a page table all its writable mappings can be made read-only at once.
// Entries are identified as shadow-page slot × 1024 + index; the lists are doubly linked through
// flat typed arrays (no allocation per entry).

const NONE = -1;

export class ReverseMap {
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;

  constructor(guestFrames: number, entries: number) {
    this.head = new Int32Array(guestFrames).fill(NONE);
    this.next = new Int32Array(entries).fill(NONE);
    this.prev = new Int32Array(entries).fill(NONE);
  }

  add(gfn: number, id: number): void {
    const h = this.head[gfn]!;
    this.next[id] = h;
    this.prev[id] = NONE;
    if (h !== NONE) this.prev[h] = id;
    this.head[gfn] = id;
  }

  remove(gfn: number, id: number): void {
    const n = this.next[id]!;
    const p = this.prev[id]!;
    if (p !== NONE) this.next[p] = n;
    else this.head[gfn] = n;
    if (n !== NONE) this.prev[n] = p;
    this.next[id] = NONE;
    this.prev[id] = NONE;
  }

  /** First entry mapping `gfn` (-1: none); walk on with `after`. */
  first(gfn: number): number {
    return this.head[gfn]!;
  }

  after(id: number): number {
    return this.next[id]!;
  }

  clear(): void {
    this.head.fill(NONE);
    this.next.fill(NONE);
    this.prev.fill(NONE);
  }
}
