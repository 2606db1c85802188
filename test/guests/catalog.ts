// The guest kernels the end-to-end tests run, with their command lines and expected exit status.
// The golden files (guests/golden/ID.out, ID.status), recorded from QEMU by scripts/record-golden.ts,
// are the single source of truth for what each run must print: every mode (QEMU, native, ept,
// shadow, +pv) is compared with them byte for byte.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GUESTS_DIR = join(REPO_ROOT, 'guests');

export interface GuestRun {
  /** Golden-file key: guests/golden/ID.out and ID.status. Usually the image name. */
  readonly id: string;
  /** Image name: guests/bin/NAME.elf. */
  readonly name: string;
  /** Absolute path of the image. */
  readonly image: string;
  /** Multiboot command line ('' for none). Guests ignore tokens they do not know. */
  readonly cmdline: string;
  /** Exit value the guest writes to port 0xF4 (QEMU reports it as value*2+1). */
  readonly expectedStatus: number;
  /** Per-run time limit for a reference run on QEMU. */
  readonly timeoutMs: number;
  /**
   * The guest sets up an IDT (cpu_init), so `pvemu` on the command line makes it exercise its
   * para-virtual paths on any machine: its #UD handler emulates VMCALL (guests/lib/pvemu.asm).
   */
  readonly pvemu: boolean;
  readonly goldenOut: string;
  readonly goldenStatus: string;
  /** Lines where QEMU (TCG) is known to differ from the SDM; the golden file holds the SDM's. */
  readonly qemuQuirks: readonly QemuQuirk[];
}

/** One output line QEMU gets wrong: what QEMU prints, what the SDM says a processor does, why. */
export interface QemuQuirk {
  readonly qemu: string;
  readonly sdm: string;
  readonly why: string;
}

interface Entry {
  name: string;
  cmdline?: string;
  id?: string;
  status?: number;
  timeoutMs?: number;
  pvemu?: boolean;
  qemuQuirks?: readonly QemuQuirk[];
}

function run(e: Entry): GuestRun {
  const id = e.id ?? e.name;
  return {
    id,
    name: e.name,
    image: join(GUESTS_DIR, 'bin', `${e.name}.elf`),
    cmdline: e.cmdline ?? '',
    expectedStatus: e.status ?? 0,
    timeoutMs: e.timeoutMs ?? 20_000,
    pvemu: e.pvemu ?? true,
    goldenOut: join(GUESTS_DIR, 'golden', `${id}.out`),
    goldenStatus: join(GUESTS_DIR, 'golden', `${id}.status`),
    qemuQuirks: e.qemuQuirks ?? [],
  };
}

/** A quirk on the line `title: result`. */
function quirk(title: string, qemu: string, sdm: string, why: string): QemuQuirk {
  return { qemu: `${title}: ${qemu}`, sdm: `${title}: ${sdm}`, why };
}

const NO_LIMIT_CHECKS =
  'QEMU TCG does not check data-segment limits, null selectors or segment types on memory ' +
  'accesses (SDM Vol. 3A §5.3, §6.15 #GP/#SS)';
const NO_AC = 'QEMU TCG does not implement alignment checking (SDM Vol. 3A §6.15 Interrupt 17)';

const EXCEPTIONS_QUIRKS: readonly QemuQuirk[] = [
  quirk('icebp (f1)', '#UD err=00000000 eip=fault cpl=0', '#DB err=00000000 eip=next cpl=0',
    'QEMU 7.2 TCG raises #UD for ICEBP; the SDM (Vol. 2B, INT1) makes it a #DB trap'),
  quirk('stack segment limit (ebp-based access)', 'no exception', '#SS err=00000000 eip=fault cpl=0', NO_LIMIT_CHECKS),
  quirk('access beyond the es limit', 'no exception', '#GP err=00000000 eip=fault cpl=0', NO_LIMIT_CHECKS),
  quirk('dword straddling the es limit', 'no exception', '#GP err=00000000 eip=fault cpl=0', NO_LIMIT_CHECKS),
  quirk('write through cs', 'no exception', '#GP err=00000000 eip=fault cpl=0', NO_LIMIT_CHECKS),
  quirk('null ds, then a load', 'no exception', '#GP err=00000000 eip=fault cpl=0', NO_LIMIT_CHECKS),
  quirk('misaligned dword load', 'no exception', '#AC err=00000000 eip=fault cpl=3', NO_AC),
  quirk('misaligned word store', 'no exception', '#AC err=00000000 eip=fault cpl=3', NO_AC),
  quirk('push with a misaligned esp', 'no exception', '#AC err=00000000 eip=fault cpl=3', NO_AC),
];

export const guestRuns: readonly GuestRun[] = [
  run({ name: 'hello', pvemu: false }),
  run({ name: 'mips-dec', pvemu: false }),
  run({ name: 'mips-mem', pvemu: false }),
  run({ name: 'mips-call', pvemu: false }),
  run({ name: 'alu' }),
  run({ name: 'exceptions', qemuQuirks: EXCEPTIONS_QUIRKS }),
  run({ name: 'paging' }),
  run({ name: 'strings' }),
  run({ name: 'timer' }),
  run({ name: 'ioperm' }),
  run({ name: 'cwork' }),
  run({ name: 'rings' }),
  run({ name: 'popek' }),
  run({ name: 'sched' }),
  run({ name: 'wl-syscall' }),
  run({ name: 'wl-ctxsw' }),
  run({ name: 'wl-pagefault' }),
  run({ name: 'wl-aspace' }),
  run({ name: 'wl-console' }),
  run({ name: 'wl-compute' }),
  // The hypercall ABI's reference behaviour: `pvemu` answers unless a PV hypervisor does.
  run({ name: 'pv-abi', cmdline: 'pvemu', pvemu: false }),
  // Command-line variants: QEMU puts the image path first, so these also check that unknown tokens
  // are ignored.
  run({ id: 'mips-dec-iters', name: 'mips-dec', cmdline: 'iters=123457', pvemu: false }),
  run({ id: 'sched-quiet', name: 'sched', cmdline: 'quiet steps=3 work=0x2000' }),
  run({ id: 'wl-console-partial', name: 'wl-console', cmdline: 'iters=100' }),
  run({ id: 'timer-ticks', name: 'timer', cmdline: 'ticks=15' }),
];

export function guestRun(id: string): GuestRun {
  const g = guestRuns.find((r) => r.id === id);
  if (!g) throw new Error(`no guest run named ${id} in test/guests/catalog.ts`);
  return g;
}

export interface Golden {
  readonly stdout: Buffer;
  readonly status: number;
}

/** The recorded reference output and exit value of a run. */
export function readGolden(g: GuestRun): Golden {
  const stdout = readFileSync(g.goldenOut);
  const status = Number.parseInt(readFileSync(g.goldenStatus, 'utf8').trim(), 10);
  return { stdout, status };
}
