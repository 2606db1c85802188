// MMX / SSE..SSE4.2 / AES / SHA rows of the 0F, 0F 38 and 0F 3A maps (SDM Vol. 2D Tables,
// A-5 and the group tables). Unsupported (CPUID reports no MMX/SSE): they decode to their length and
// mnemonic only. `P(enc, 'np 66 f3 f2')` gives the mnemonic for each mandatory-prefix column
// ('-' = no instruction); the encoding carries the ModRM/mod constraints and immediate.
import { type OpcodeRow, makeRow } from './opcode-row.js';

const rows: OpcodeRow[] = [];
const PREFIX_COLUMNS = ['NP', '66', 'F3', 'F2'] as const;

/** Adds one row per mandatory-prefix column of `names` ('np 66 f3 f2' mnemonics, '-' = none). */
function P(enc: string, names: string, imm = ''): void {
  names.split(/\s+/).forEach((mn, i) => {
    if (mn === '-' || mn === '') return;
    rows.push(makeRow(`${PREFIX_COLUMNS[i]} ${enc}`, imm ? `${mn} ${imm}` : mn, { unsupported: true }));
  });
}

// --- 0F map ---
P('0F 10 /r', 'movups movupd movss movsd');
P('0F 11 /r', 'movups movupd movss movsd');
P('0F 12 /r mem', 'movlps movlpd movsldup movddup');
P('0F 12 /r reg', 'movhlps - movsldup movddup');
P('0F 13 /r mem', 'movlps movlpd - -');
P('0F 14 /r', 'unpcklps unpcklpd - -');
P('0F 15 /r', 'unpckhps unpckhpd - -');
P('0F 16 /r mem', 'movhps movhpd movshdup -');
P('0F 16 /r reg', 'movlhps - movshdup -');
P('0F 17 /r mem', 'movhps movhpd - -');
P('0F 28 /r', 'movaps movapd - -');
P('0F 29 /r', 'movaps movapd - -');
P('0F 2A /r', 'cvtpi2ps cvtpi2pd cvtsi2ss cvtsi2sd');
P('0F 2B /r mem', 'movntps movntpd movntss movntsd');
P('0F 2C /r', 'cvttps2pi cvttpd2pi cvttss2si cvttsd2si');
P('0F 2D /r', 'cvtps2pi cvtpd2pi cvtss2si cvtsd2si');
P('0F 2E /r', 'ucomiss ucomisd - -');
P('0F 2F /r', 'comiss comisd - -');
P('0F 50 /r reg', 'movmskps movmskpd - -');
P('0F 51 /r', 'sqrtps sqrtpd sqrtss sqrtsd');
P('0F 52 /r', 'rsqrtps - rsqrtss -');
P('0F 53 /r', 'rcpps - rcpss -');
P('0F 54 /r', 'andps andpd - -');
P('0F 55 /r', 'andnps andnpd - -');
P('0F 56 /r', 'orps orpd - -');
P('0F 57 /r', 'xorps xorpd - -');
P('0F 58 /r', 'addps addpd addss addsd');
P('0F 59 /r', 'mulps mulpd mulss mulsd');
P('0F 5A /r', 'cvtps2pd cvtpd2ps cvtss2sd cvtsd2ss');
P('0F 5B /r', 'cvtdq2ps cvtps2dq cvttps2dq -');
P('0F 5C /r', 'subps subpd subss subsd');
P('0F 5D /r', 'minps minpd minss minsd');
P('0F 5E /r', 'divps divpd divss divsd');
P('0F 5F /r', 'maxps maxpd maxss maxsd');
const MMX_60 = ['punpcklbw', 'punpcklwd', 'punpckldq', 'packsswb', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd', 'packuswb',
  'punpckhbw', 'punpckhwd', 'punpckhdq', 'packssdw'];
MMX_60.forEach((mn, i) => P(`0F ${(0x60 + i).toString(16).toUpperCase()} /r`, `${mn} ${mn} - -`));
P('0F 6C /r', '- punpcklqdq - -');
P('0F 6D /r', '- punpckhqdq - -');
P('0F 6E /r', 'movd movd - -');
P('0F 6F /r', 'movq movdqa movdqu -');
P('0F 70 /r', 'pshufw pshufd pshufhw pshuflw', 'Ib');
for (const [op, list] of [['71', [[2, 'psrlw'], [4, 'psraw'], [6, 'psllw']]], ['72', [[2, 'psrld'], [4, 'psrad'], [6, 'pslld']]],
  ['73', [[2, 'psrlq'], [6, 'psllq']]]] as const) {
  for (const [n, mn] of list) P(`0F ${op} /${n} reg`, `${mn} ${mn} - -`, 'Ib');
}
P('0F 73 /3 reg', '- psrldq - -', 'Ib');
P('0F 73 /7 reg', '- pslldq - -', 'Ib');
P('0F 74 /r', 'pcmpeqb pcmpeqb - -');
P('0F 75 /r', 'pcmpeqw pcmpeqw - -');
P('0F 76 /r', 'pcmpeqd pcmpeqd - -');
P('0F 77', 'emms - - -');
P('0F 78 /0 reg', '- extrq - -', 'Ib,Ib');
P('0F 78 /r reg', '- - - insertq', 'Ib,Ib');
P('0F 79 /r reg', '- extrq - insertq');
P('0F 7C /r', '- haddpd - haddps');
P('0F 7D /r', '- hsubpd - hsubps');
P('0F 7E /r', 'movd movd movq -');
P('0F 7F /r', 'movq movdqa movdqu -');
P('0F C2 /r', 'cmpps cmppd cmpss cmpsd', 'Ib');
P('0F C3 /r mem', 'movnti - - -');
P('0F C4 /r', 'pinsrw pinsrw - -', 'Ib');
P('0F C5 /r reg', 'pextrw pextrw - -', 'Ib');
P('0F C6 /r', 'shufps shufpd - -', 'Ib');
P('0F D0 /r', '- addsubpd - addsubps');
const MMX_D1 = ['psrlw', 'psrld', 'psrlq', 'paddq', 'pmullw'];
MMX_D1.forEach((mn, i) => P(`0F ${(0xd1 + i).toString(16).toUpperCase()} /r`, `${mn} ${mn} - -`));
P('0F D6 /r', '- movq - -');
P('0F D6 /r reg', '- - movq2dq movdq2q');
P('0F D7 /r reg', 'pmovmskb pmovmskb - -');
const MMX_D8 = ['psubusb', 'psubusw', 'pminub', 'pand', 'paddusb', 'paddusw', 'pmaxub', 'pandn',
  'pavgb', 'psraw', 'psrad', 'pavgw', 'pmulhuw', 'pmulhw'];
MMX_D8.forEach((mn, i) => P(`0F ${(0xd8 + i).toString(16).toUpperCase()} /r`, `${mn} ${mn} - -`));
P('0F E6 /r', '- cvttpd2dq cvtdq2pd cvtpd2dq');
P('0F E7 /r mem', 'movntq movntdq - -');
const MMX_E8 = ['psubsb', 'psubsw', 'pminsw', 'por', 'paddsb', 'paddsw', 'pmaxsw', 'pxor'];
MMX_E8.forEach((mn, i) => P(`0F ${(0xe8 + i).toString(16).toUpperCase()} /r`, `${mn} ${mn} - -`));
P('0F F0 /r mem', '- - - lddqu');
const MMX_F1 = ['psllw', 'pslld', 'psllq', 'pmuludq', 'pmaddwd', 'psadbw'];
MMX_F1.forEach((mn, i) => P(`0F ${(0xf1 + i).toString(16).toUpperCase()} /r`, `${mn} ${mn} - -`));
P('0F F7 /r reg', 'maskmovq maskmovdqu - -');
const MMX_F8 = ['psubb', 'psubw', 'psubd', 'psubq', 'paddb', 'paddw', 'paddd'];
MMX_F8.forEach((mn, i) => P(`0F ${(0xf8 + i).toString(16).toUpperCase()} /r`, `${mn} ${mn} - -`));

// --- 0F 38 map ---
const SSSE3 = ['pshufb', 'phaddw', 'phaddd', 'phaddsw', 'pmaddubsw', 'phsubw', 'phsubd', 'phsubsw',
  'psignb', 'psignw', 'psignd', 'pmulhrsw'];
SSSE3.forEach((mn, i) => P(`0F 38 ${(i).toString(16).toUpperCase().padStart(2, '0')} /r`, `${mn} ${mn} - -`));
P('0F 38 10 /r', '- pblendvb - -');
P('0F 38 14 /r', '- blendvps - -');
P('0F 38 15 /r', '- blendvpd - -');
P('0F 38 17 /r', '- ptest - -');
for (const [op, mn] of [['1C', 'pabsb'], ['1D', 'pabsw'], ['1E', 'pabsd']] as const) P(`0F 38 ${op} /r`, `${mn} ${mn} - -`);
const SSE41_20: ReadonlyArray<readonly [string, string]> = [
  ['20', 'pmovsxbw'], ['21', 'pmovsxbd'], ['22', 'pmovsxbq'], ['23', 'pmovsxwd'], ['24', 'pmovsxwq'],
  ['25', 'pmovsxdq'], ['28', 'pmuldq'], ['29', 'pcmpeqq'], ['2B', 'packusdw'], ['30', 'pmovzxbw'],
  ['31', 'pmovzxbd'], ['32', 'pmovzxbq'], ['33', 'pmovzxwd'], ['34', 'pmovzxwq'], ['35', 'pmovzxdq'],
  ['37', 'pcmpgtq'], ['38', 'pminsb'], ['39', 'pminsd'], ['3A', 'pminuw'], ['3B', 'pminud'],
  ['3C', 'pmaxsb'], ['3D', 'pmaxsd'], ['3E', 'pmaxuw'], ['3F', 'pmaxud'], ['40', 'pmulld'],
  ['41', 'phminposuw'], ['CF', 'gf2p8mulb'], ['DB', 'aesimc'], ['DC', 'aesenc'], ['DD', 'aesenclast'],
  ['DE', 'aesdec'], ['DF', 'aesdeclast'],
];
for (const [op, mn] of SSE41_20) P(`0F 38 ${op} /r`, `- ${mn} - -`);
P('0F 38 2A /r mem', '- movntdqa - -');
const SHA: ReadonlyArray<readonly [string, string]> = [
  ['C8', 'sha1nexte'], ['C9', 'sha1msg1'], ['CA', 'sha1msg2'], ['CB', 'sha256rnds2'], ['CC', 'sha256msg1'], ['CD', 'sha256msg2'],
];
for (const [op, mn] of SHA) P(`0F 38 ${op} /r`, `${mn} - - -`);
P('0F 38 F6 /r', '- adcx adox -');

// --- 0F 3A map (every instruction has an imm8) ---
const SSE41_3A: ReadonlyArray<readonly [string, string]> = [
  ['08', 'roundps'], ['09', 'roundpd'], ['0A', 'roundss'], ['0B', 'roundsd'], ['0C', 'blendps'],
  ['0D', 'blendpd'], ['0E', 'pblendw'], ['14', 'pextrb'], ['15', 'pextrw'], ['16', 'pextrd'],
  ['17', 'extractps'], ['20', 'pinsrb'], ['21', 'insertps'], ['22', 'pinsrd'], ['40', 'dpps'],
  ['41', 'dppd'], ['42', 'mpsadbw'], ['44', 'pclmulqdq'], ['60', 'pcmpestrm'], ['61', 'pcmpestri'],
  ['62', 'pcmpistrm'], ['63', 'pcmpistri'], ['CE', 'gf2p8affineqb'], ['CF', 'gf2p8affineinvqb'],
  ['DF', 'aeskeygenassist'],
];
for (const [op, mn] of SSE41_3A) P(`0F 3A ${op} /r`, `- ${mn} - -`, 'Ib');
P('0F 3A 0F /r', 'palignr palignr - -', 'Ib');
P('0F 3A CC /r', 'sha1rnds4 - - -', 'Ib');

export const SSE_ROWS: readonly OpcodeRow[] = rows;
