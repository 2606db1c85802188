// One shadow page (KVM's struct kvm_mmu_page): a host frame the processor walks, holding either a
// shadow page directory (a root, for one guest page directory or for the paging-off identity map)
// or a shadow page table (for one guest page table, or "direct" for a 4 MiB guest page or a 4 MiB
// slice of the identity map), plus a mirror frame recording the guest entry each shadow entry was
// made from, so a write to the guest's table can be compared entry by entry.

/** Role bits of a shadow page table: what, besides its guest frame, its contents depend on. */
export const Role = {
  /** The guest PDE above allows user access (the effective U/S is PDE & PTE). */
  US: 1,
  /** The guest PDE above allows writes. */
  RW: 2,
  /** No guest page table behind it: it maps 1024 consecutive guest frames (a 4 MiB page, or the
   *  identity map while the guest's paging is off). */
  DIRECT: 4,
  /** Direct only: the 4 MiB page's dirty flag is set (its 4 KiB pieces may be writable). */
  DIRTY: 8,
} as const;
/** Non-direct roles: the four U/S, R/W combinations a guest PDE can give a guest page table. */
export const GUEST_TABLE_ROLES = 4;
/** Key of a shadow page table: guest frame × 16 + role (roots are keyed by guest frame alone). */
export const ROLE_SPAN = 16;

export const ENTRIES = 1024;

export class ShadowPage {
  /** Host-physical address of the table the processor walks, and of the guest-entry mirror. */
  hpa = 0;
  mirror = 0;
  /** 2: a root (page directory); 1: a page table. */
  level = 1;
  /** Guest frame number of the guest table shadowed; for a direct table the first guest frame it
   *  maps; -1 for the identity root. */
  gfn = 0;
  role = 0;
  /** The key it is cached under (roots: gfn, or -1 for the identity root). */
  key = 0;
  /** Page tables: the shadow PDEs pointing here, each as root slot × 1024 + PDE index. */
  readonly parents: number[] = [];
  /** Roots: the slot of the page table linked at each PDE index, -1 where none. */
  children: Int32Array | null = null;
  /** Page tables: leaves currently mapped writable. */
  writable = 0;
  /** Emulated guest writes since the page was last used by a fill (write-flooding detection). */
  flood = 0;
  /** Bumped each time the slot is freed: a reference (slot, generation) outlives nothing. */
  generation = 0;
  inUse = false;

  constructor(readonly slot: number) {}

  get direct(): boolean {
    return (this.role & Role.DIRECT) !== 0;
  }
}
