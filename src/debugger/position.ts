// A point in a guest's execution that the debugger can stop at and come back to. Time is counted in
// retired guest instructions and VM exits: between two instructions the guest may cause several
// exits, each seen first as recorded-but-unhandled (`atExit`) and then as handled.

export interface Position {
  /** Guest instructions retired. */
  readonly insns: number;
  /** VM exits so far (including the one stopped at, when `atExit`). */
  readonly exits: number;
  /** Stopped at exit number `exits`, before the hypervisor handled it. */
  readonly atExit: boolean;
}

export const START: Position = { insns: 0, exits: 0, atExit: false };

/** Negative when `a` comes before `b`, 0 when they are the same point, positive after. */
export function comparePositions(a: Position, b: Position): number {
  if (a.insns !== b.insns) return a.insns - b.insns;
  if (a.exits !== b.exits) return a.exits - b.exits;
  // At the same counts, the exit comes before the state after handling it.
  return (a.atExit ? 0 : 1) - (b.atExit ? 0 : 1);
}

export function samePosition(a: Position, b: Position): boolean {
  return comparePositions(a, b) === 0;
}

export function describePosition(p: Position): string {
  return p.atExit ? `instruction ${p.insns}, at VM exit #${p.exits}` : `instruction ${p.insns}` + (p.exits > 0 ? ` (after ${p.exits} VM exits)` : '');
}
