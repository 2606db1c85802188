// The guest console seen through history: replaying from a snapshot produces console bytes again,
// and the gate lets through only bytes beyond the furthest point already shown, so going back and
// forth in time never prints a line twice. `position` is part of every history snapshot.

export class ConsoleGate {
  /** Bytes the guest has written up to the current point of its execution. */
  position = 0;
  /** Bytes already handed to the sink (the furthest point reached so far). */
  private shown = 0;

  constructor(private readonly sink: (bytes: Uint8Array) => void) {}

  write(bytes: Uint8Array): void {
    const start = this.position;
    this.position += bytes.length;
    if (this.position <= this.shown) return;
    this.sink(bytes.subarray(Math.max(0, this.shown - start)));
    this.shown = this.position;
  }
}
