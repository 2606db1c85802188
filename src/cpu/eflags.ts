// EFLAGS bit positions (SDM Vol. 1 §3.4.3, Figure 3-8) and the masks the processor works with.

export const CF = 1 << 0;
/** Bit 1 is reserved and always reads as 1. */
export const FIXED1 = 1 << 1;
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const TF = 1 << 8;
export const IF = 1 << 9;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const IOPL_SHIFT = 12;
export const IOPL = 3 << IOPL_SHIFT;
export const NT = 1 << 14;
export const RF = 1 << 16;
export const VM = 1 << 17;
export const AC = 1 << 18;
export const VIF = 1 << 19;
export const VIP = 1 << 20;
export const ID = 1 << 21;

/** The six status flags computed by arithmetic (the ones kept lazily). */
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** Every bit software can change on this processor (bits 3, 5, 15 and 22-31 are reserved, SDM §3.4.3).
 *  VIF/VIP/VM only matter in virtual-8086 mode, which this processor does not implement. */
export const WRITABLE = ARITH | TF | IF | DF | IOPL | NT | RF | AC | ID;
