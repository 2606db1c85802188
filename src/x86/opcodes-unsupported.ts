// Opcode-table rows for real instructions outside the emulated subset (x87, MMX, SSE..., BCD,
// TSX, SYSENTER...). They decode to their exact length and report DecodeStatus.Unsupported, so the
// CPU raises #UD and the disassembler can name them. For these rows `operands` lists only the
// forms that decide the length (ModRM-using forms and immediates).
import { type OpcodeRow, makeRow } from './opcode-row.js';
import { X87_ROWS } from './opcodes-x87.js';
import { SSE_ROWS } from './opcodes-sse.js';

const rows: OpcodeRow[] = [];
const u = (enc: string | readonly string[], asm: string): void => {
  rows.push(makeRow(enc, asm, { unsupported: true }));
};

// One-byte map (SDM Vol. 2D Table A-2).
u('27', 'daa');
u('2F', 'das');
u('37', 'aaa');
u('3F', 'aas');
u('62 /r mem', 'bound Gv,M'); // 62 with mod 3 is the EVEX escape (decoder.ts)
u('63 /r', 'arpl Ew,Gw');
u('9B', 'wait');
u('9E', 'sahf');
u('9F', 'lahf');
u('D4', 'aam Ib');
u('D5', 'aad Ib');
u('D6', 'salc');
u('D7', 'xlatb');
u('F1', 'int1');
u('C6 F8', 'xabort Ib');
u('C7 F8', 'xbegin Jz');

// Two-byte map, non-SSE (SDM Vol. 2D Table A-3 and group tables A-6).
u('0F 05', 'syscall');
u('0F 07', 'sysret');
u('0F 33', 'rdpmc');
u('0F 34', 'sysenter');
u('0F 35', 'sysexit');
u('0F 37', 'getsec');
u('0F AA', 'rsm');
u('0F 0E', 'femms');
u('0F B9 /r', 'ud1 Gv,Ev');
u('0F FF /r', 'ud0 Gv,Ev');
u('F3 0F B8 /r', 'popcnt Gv,Ev');
u('0F 0D /0 mem', 'prefetch M');
u('0F 0D /1 mem', 'prefetchw M');
u('0F 0D /2 mem', 'prefetchwt1 M');
for (const n of [3, 4, 5, 6, 7]) u(`0F 0D /${n} mem`, 'prefetch M');
u('0F 18 /0 mem', 'prefetchnta M');
u('0F 18 /1 mem', 'prefetcht0 M');
u('0F 18 /2 mem', 'prefetcht1 M');
u('0F 18 /3 mem', 'prefetcht2 M');
// The rest of 0F 18-1F is the "reserved NOP" space (hint instructions; NOP on processors that
// do not define them). Only 0F 1F /0 is the documented multi-byte NOP (supported, opcodes.ts).
u(['0F 18 /r'], 'reservednop Ev,Gv');
for (const op of ['19', '1A', '1B', '1C', '1D', '1E']) u(`0F ${op} /r`, 'reservednop Ev,Gv');
u('0F 1F /r', 'reservednop Ev,Gv');
u('F3 0F 1E FB', 'endbr32');
u('F3 0F 1E FA', 'endbr64');
// Group 7 (0F 01) register forms beyond the VMX ones.
const G7: ReadonlyArray<readonly [string, string]> = [
  ['C0', 'enclv'], ['C5', 'pconfig'], ['C6', 'wrmsrns'], ['C8', 'monitor'], ['C9', 'mwait'],
  ['CA', 'clac'], ['CB', 'stac'], ['CF', 'encls'], ['D0', 'xgetbv'], ['D1', 'xsetbv'],
  ['D4', 'vmfunc'], ['D5', 'xend'], ['D6', 'xtest'], ['D7', 'enclu'], ['D8', 'vmrun'],
  ['D9', 'vmmcall'], ['DA', 'vmload'], ['DB', 'vmsave'], ['DC', 'stgi'], ['DD', 'clgi'],
  ['DE', 'skinit'], ['DF', 'invlpga'], ['EE', 'rdpkru'], ['EF', 'wrpkru'], ['F9', 'rdtscp'],
  ['FA', 'monitorx'], ['FB', 'mwaitx'], ['FC', 'clzero'], ['FD', 'rdpru'],
];
for (const [b, mn] of G7) u(`0F 01 ${b}`, mn);
// Group 9 (0F C7) beyond CMPXCHG8B and the VMX forms.
u('NP 0F C7 /3 mem', 'xrstors M');
u('NP 0F C7 /4 mem', 'xsavec M');
u('NP 0F C7 /5 mem', 'xsaves M');
u(['NP 0F C7 /6 reg', '66 0F C7 /6 reg'], 'rdrand Rd');
u(['NP 0F C7 /7 reg', '66 0F C7 /7 reg'], 'rdseed Rd');
u('F3 0F C7 /7 reg', 'rdpid Rd');
// Group 15 (0F AE).
const G15: ReadonlyArray<readonly [string, string]> = [
  ['NP 0F AE /0 mem', 'fxsave'], ['NP 0F AE /1 mem', 'fxrstor'], ['NP 0F AE /2 mem', 'ldmxcsr'],
  ['NP 0F AE /3 mem', 'stmxcsr'], ['NP 0F AE /4 mem', 'xsave'], ['NP 0F AE /5 mem', 'xrstor'],
  ['NP 0F AE /6 mem', 'xsaveopt'], ['NP 0F AE /7 mem', 'clflush'], ['66 0F AE /6 mem', 'clwb'],
  ['66 0F AE /7 mem', 'clflushopt'], ['NP 0F AE /5 reg', 'lfence'], ['NP 0F AE /6 reg', 'mfence'],
  ['NP 0F AE /7 reg', 'sfence'],
];
for (const [e, mn] of G15) u(e, mn);
// 0F 38 F0/F1: MOVBE and CRC32.
u(['NP 0F 38 F0 /r mem', '66 0F 38 F0 /r mem'], 'movbe Gv,M');
u(['NP 0F 38 F1 /r mem', '66 0F 38 F1 /r mem'], 'movbe M,Gv');
u('F2 0F 38 F0 /r', 'crc32 Gd,Eb');
u('F2 0F 38 F1 /r', 'crc32 Gd,Ev');
u('66 0F 38 82 /r mem', 'invpcid Gd,M');

export const UNSUPPORTED_ROWS: readonly OpcodeRow[] = [...rows, ...X87_ROWS, ...SSE_ROWS];
