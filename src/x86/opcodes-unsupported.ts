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
u('NP 0F 37', 'getsec');
u('F3 0F 09', 'wbnoinvd');
u('0F AA', 'rsm');
u('0F 0E', 'femms');
u('0F B9 /r', 'ud1 Gv,Ev');
u('0F FF /r', 'ud0 Gv,Ev');
u('F3 0F B8 /r', 'popcnt Gv,Ev');
u('0F 0D /0 mem', 'prefetch M');
u('0F 0D /1 mem', 'prefetchw M');
u('0F 0D /2 mem', 'prefetchwt1 M');
u('0F 0D /3 mem', 'prefetchw M');
for (const n of [4, 5, 6, 7]) u(`0F 0D /${n} mem`, 'prefetch M');
u('0F 0D /r reg', 'reservednop Ev,Gv');
u('0F 18 /0 mem', 'prefetchnta M');
u('0F 18 /1 mem', 'prefetcht0 M');
u('0F 18 /2 mem', 'prefetcht1 M');
u('0F 18 /3 mem', 'prefetcht2 M');
u('0F 18 /6 mem', 'prefetchit1 M');
u('0F 18 /7 mem', 'prefetchit0 M');
u('NP 0F 1C /0 mem', 'cldemote M');
// The rest of 0F 18-1F is the "reserved NOP" space (hint instructions; NOP on processors that
// do not define them). Only 0F 1F /0 is the documented multi-byte NOP (supported, opcodes.ts).
u(['0F 18 /r'], 'reservednop Ev,Gv');
for (const op of ['19', '1A', '1B', '1C', '1D', '1E']) u(`0F ${op} /r`, 'reservednop Ev,Gv');
u('0F 1F /r', 'reservednop Ev,Gv');
u('F3 0F 1E FB', 'endbr32');
u('F3 0F 1E FA', 'endbr64');
// Group 7 (0F 01) register forms beyond the VMX ones. Most take no 66/F2/F3 (NP); AMD's SVM
// instructions, RDTSCP and CLZERO ignore them (any); a few use F2/F3 as a mandatory prefix.
const G7: ReadonlyArray<readonly [string, string]> = [
  ['NP C0', 'enclv'], ['NP C5', 'pconfig'], ['NP C6', 'wrmsrns'], ['NP C8', 'monitor'], ['NP C9', 'mwait'],
  ['NP CA', 'clac'], ['NP CB', 'stac'], ['66 CC', 'tdcall'], ['NP CF', 'encls'], ['NP D0', 'xgetbv'], ['NP D1', 'xsetbv'],
  ['NP D4', 'vmfunc'], ['NP D5', 'xend'], ['NP D6', 'xtest'], ['NP D7', 'enclu'], ['D8', 'vmrun'],
  ['NP D9', 'vmmcall'], ['66 D9', 'vmmcall'], ['F3 D9', 'vmgexit'], ['F2 D9', 'vmgexit'], ['DA', 'vmload'],
  ['DB', 'vmsave'], ['DC', 'stgi'], ['DD', 'clgi'], ['DE', 'skinit'], ['DF', 'invlpga'], ['NP E8', 'serialize'],
  ['F3 E8', 'setssbsy'], ['F2 E8', 'xsusldtrk'], ['F2 E9', 'xresldtrk'], ['F3 EA', 'saveprevssp'],
  ['NP EE', 'rdpkru'], ['NP EF', 'wrpkru'], ['F9', 'rdtscp'], ['NP FA', 'monitorx'], ['F3 FA', 'mcommit'],
  ['NP FB', 'mwaitx'], ['FC', 'clzero'], ['NP FD', 'rdpru'], ['NP FE', 'invlpgb'], ['NP FF', 'tlbsync'],
  ['F2 FF', 'pvalidate'],
];
const byName = new Map<string, string[]>();
for (const [e, mn] of G7) {
  const [pre, b] = e.includes(' ') ? e.split(' ') : ['', e];
  const list = byName.get(mn) ?? [];
  list.push(`${pre ? pre + ' ' : ''}0F 01 ${b}`);
  byName.set(mn, list);
}
for (const [mn, encs] of byName) u(encs, mn);
u('F3 0F 01 /5 mem', 'rstorssp M');
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
u('F3 0F AE /6 reg', 'umonitor Rd');
u('F3 0F AE /6 mem', 'clrssbsy M');
u('F3 0F AE /5 reg', 'incsspd Rd');
u('F3 0F AE /4', 'ptwrite Ed');
u('F3 0F 1E /1 reg', 'rdsspd Rd');
u('66 0F 38 F5 /r mem', 'wrussd M,Gd');
u('F2 0F AE /6 reg', 'umwait Rd');
u('66 0F AE /6 reg', 'tpause Rd');
u('NP 0F 38 F6 /r mem', 'wrssd M,Gd');
// 0F 38 F0/F1: MOVBE and CRC32.
u(['NP 0F 38 F0 /r mem', '66 0F 38 F0 /r mem'], 'movbe Gv,M');
u(['NP 0F 38 F1 /r mem', '66 0F 38 F1 /r mem'], 'movbe M,Gv');
u('F2 0F 38 F0 /r', 'crc32 Gd,Eb');
u('F2 0F 38 F1 /r', 'crc32 Gd,Ev');
u('66 0F 38 82 /r mem', 'invpcid Gd,M');
u('NP 0F 38 F9 /r mem', 'movdiri M,Gd');
u('66 0F 38 F8 /r mem', 'movdir64b Gd,M');
u('F2 0F 38 F8 /r mem', 'enqcmd Gd,M');
u('F3 0F 38 F8 /r mem', 'enqcmds Gd,M');
u('NP 0F 38 FC /r mem', 'aadd M,Gd');
u('66 0F 38 FC /r mem', 'aand M,Gd');
u('F2 0F 38 FC /r mem', 'aor M,Gd');
u('F3 0F 38 FC /r mem', 'axor M,Gd');
// Key Locker.
for (const [op, mn] of [['DC', 'aesenc128kl'], ['DD', 'aesdec128kl'], ['DE', 'aesenc256kl'], ['DF', 'aesdec256kl']] as const) {
  u(`F3 0F 38 ${op} /r mem`, `${mn} M`);
}
(['aesencwide128kl', 'aesdecwide128kl', 'aesencwide256kl', 'aesdecwide256kl'] as const).forEach((mn, n) => u(`F3 0F 38 D8 /${n} mem`, `${mn} M`));
u('F3 0F 38 DC /r reg', 'loadiwkey Rd');
u('F3 0F 38 FA /r reg', 'encodekey128 Rd');
u('F3 0F 38 FB /r reg', 'encodekey256 Rd');
// VIA PadLock (0F A6 / 0F A7 register forms; all but XSTORE need F3, the REP they iterate with).
u('0F A7 /0 reg', 'xstore');
(['', 'xcryptecb', 'xcryptcbc', 'xcryptctr', 'xcryptcfb', 'xcryptofb', 'ccs_encrypt', 'xstore_alt'] as const).forEach((mn, n) => {
  if (mn) u(`F3 0F A7 /${n} reg`, mn);
});
(['montmul', 'xsha1', 'xsha256', 'xsha512_alt', 'xsha512', 'ccs_hash', 'undoc', 'undoc'] as const).forEach((mn, n) => u(`F3 0F A6 /${n} reg`, mn));

// 3DNow! (AMD): 0F 0F /r imm8, the imm8 selecting the operation (AMD64 APM Vol. 5, Table A-12).
const NOW3: ReadonlyArray<readonly [string, string]> = [
  ['0C', 'pi2fw'], ['0D', 'pi2fd'], ['1C', 'pf2iw'], ['1D', 'pf2id'], ['8A', 'pfnacc'], ['8E', 'pfpnacc'],
  ['90', 'pfcmpge'], ['94', 'pfmin'], ['96', 'pfrcp'], ['97', 'pfrsqrt'], ['9A', 'pfsub'], ['9E', 'pfadd'],
  ['A0', 'pfcmpgt'], ['A4', 'pfmax'], ['A6', 'pfrcpit1'], ['A7', 'pfrsqit1'], ['AA', 'pfsubr'], ['AE', 'pfacc'],
  ['B0', 'pfcmpeq'], ['B4', 'pfmul'], ['B6', 'pfrcpit2'], ['B7', 'pmulhrw'], ['BB', 'pswapd'], ['BF', 'pavgusb'],
];
for (const [sfx, mn] of NOW3) u(`0F 0F /r sfx=${sfx}`, `${mn} Ib`);
// Whole encoding spaces decoded by length only (decoder.ts): VEX (C4/C5), EVEX (62), XOP (8F).
// This CPU reports no AVX/AVX-512/XOP, so every such instruction raises #UD.
rows.push(makeRow([], 'vex', { unsupported: true }));
rows.push(makeRow([], 'evex', { unsupported: true }));
rows.push(makeRow([], 'xop', { unsupported: true }));

export const UNSUPPORTED_ROWS: readonly OpcodeRow[] = [...rows, ...X87_ROWS, ...SSE_ROWS];
