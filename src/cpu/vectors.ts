// Exception and interrupt vectors (SDM Vol. 3 §6.3.1, Table 6-1) and their double-fault classes
// (SDM Vol. 3 §6.15 "Interrupt 8—Double Fault Exception", Table 6-4 and 6-5).

export const Vec = {
  DE: 0,
  DB: 1,
  NMI: 2,
  BP: 3,
  OF: 4,
  BR: 5,
  UD: 6,
  NM: 7,
  DF: 8,
  TS: 10,
  NP: 11,
  SS: 12,
  GP: 13,
  PF: 14,
  MF: 16,
  AC: 17,
  MC: 18,
  XM: 19,
} as const;

/** Vectors that push an error code when delivered as exceptions (Table 6-1). */
export const HAS_ERROR_CODE = (1 << Vec.DF) | (1 << Vec.TS) | (1 << Vec.NP) | (1 << Vec.SS) | (1 << Vec.GP) | (1 << Vec.PF) | (1 << Vec.AC);

/** Contributory exceptions (Table 6-4): two of them in a row make a double fault. */
export const CONTRIBUTORY = (1 << Vec.DE) | (1 << Vec.TS) | (1 << Vec.NP) | (1 << Vec.SS) | (1 << Vec.GP);

export const VECTOR_NAMES: Readonly<Record<number, string>> = {
  0: '#DE', 1: '#DB', 2: 'NMI', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF',
  10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC', 19: '#XM',
};

/** How an event reaches the IDT: the distinction matters for DPL checks, error codes, the
 *  double-fault rules and (later) VMX's interruption-information "type" field (SDM Vol. 3 §25.8.3). */
export const EventKind = {
  /** An external interrupt from the interrupt controller (INTR). */
  External: 0,
  /** A processor exception (fault, trap or abort). */
  Exception: 3,
  /** INT n: the gate's DPL is checked against CPL. */
  SoftwareInt: 4,
  /** INT1 (ICEBP): like a software interrupt without the DPL check. */
  PrivSoftwareException: 5,
  /** INT3 and INTO: exceptions raised by an instruction, DPL-checked like INT n. */
  SoftwareException: 6,
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];
