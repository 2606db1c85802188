// Builds a host (real host structures, real frames, a real VMCS) over the fake VT-x processor and
// one VM with a real guest image, for handler tests that run made-up exits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PhysicalMemory } from '../../src/machine/memory.js';
import { FrameAllocator } from '../../src/vmm/frames.js';
import { buildHostState, enterVmxRoot, hostMemoryBytes } from '../../src/vmm/host.js';
import { Vm } from '../../src/vmm/vm.js';
import { GUESTS_DIR } from '../guests/catalog.js';
import { FakeVmx, type ScriptedExit } from './fake-vmx.js';
import { runVcpu } from '../../src/vmm/exit-loop.js';
import { VMCS } from '../../src/cpu/vmx/api.js';

export interface TestVm {
  readonly fake: FakeVmx;
  readonly vm: Vm;
  readonly mem: PhysicalMemory;
  readonly out: number[];
  /** Runs the scripted exits until the script is used up (PAUSED) or the VM stops. */
  run(...exits: ScriptedExit[]): number;
  /** Console output as text. */
  text(): string;
}

export function makeVm(opts: { pv?: boolean; memMiB?: number; image?: string; cmdline?: string } = {}): TestVm {
  const memMiB = opts.memMiB ?? 4;
  const mem = new PhysicalMemory(hostMemoryBytes(memMiB * 1024 * 1024));
  const frames = new FrameAllocator(mem.size / 4096, 1);
  const layout = buildHostState(mem, frames);
  const fake = new FakeVmx(mem);
  const host = enterVmxRoot(fake, mem, frames, layout);
  const out: number[] = [];
  const image = readFileSync(join(GUESTS_DIR, 'bin', `${opts.image ?? 'hello'}.elf`));
  const vm = new Vm(host, { id: 1, memMiB, mode: 'ept', pv: opts.pv ?? false, console: (b) => out.push(b), name: 'test.elf', cmdline: opts.cmdline ?? '' }, image);
  return {
    fake,
    vm,
    mem,
    out,
    run: (...exits) => {
      fake.script.push(...exits);
      return runVcpu(vm.vcpu);
    },
    text: () => Buffer.from(out).toString('latin1'),
  };
}

/** The guest's RIP as the hypervisor left it. */
export function guestRip(t: TestVm): number {
  return t.fake.field(VMCS.GUEST_RIP);
}
