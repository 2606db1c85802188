// GDB remote serial protocol framing (gdb manual, "Overview" and "Packets" of Appendix E): `$data#cc`
// packets with a modulo-256 checksum, `+`/`-` acknowledgements, `}`-escaping of binary data, run-length
// encoding of replies, and the out-of-band interrupt byte 0x03. Transport-free: bytes in, events out.

/** The byte gdb sends outside any packet to interrupt a running target (Ctrl-C). */
export const INTERRUPT_BYTE = 0x03;
const DOLLAR = 0x24; // '$'
const HASH = 0x23; // '#'
const ESCAPE = 0x7d; // '}'
const STAR = 0x2a; // '*'
const ACK = 0x2b; // '+'
const NAK = 0x2d; // '-'
/** Escaped bytes are XORed with this (gdb manual, "Binary data"). */
const ESCAPE_XOR = 0x20;
/** Longest packet we accept (advertised as PacketSize in qSupported, in hex there). */
export const MAX_PACKET = 0x4000;

/** Modulo-256 sum of the bytes, as the two lowercase hex digits that follow `#`. */
export function checksum(data: Uint8Array): number {
  let s = 0;
  for (const b of data) s = (s + b) & 0xff;
  return s;
}

/** Latin-1 bytes of a string (packets are 8-bit clean; only binary payloads use bytes >= 0x80). */
export function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function stringOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

/** Frames a reply: `$` + payload (run-length encoded when `rle`) + `#` + checksum. */
export function framePacket(payload: string, rle = false): Uint8Array {
  const body = bytesOf(rle ? runLengthEncode(payload) : payload);
  const out = new Uint8Array(body.length + 4);
  out[0] = DOLLAR;
  out.set(body, 1);
  out[body.length + 1] = HASH;
  const cs = checksum(body).toString(16).padStart(2, '0');
  out[body.length + 2] = cs.charCodeAt(0);
  out[body.length + 3] = cs.charCodeAt(1);
  return out;
}

/**
 * Run-length encoding of a reply (gdb manual, "Run-Length Encoding"): `X*n` repeats X a further
 * n - 29 times, n printable. Counts that would make n one of `#`, `$` (or `+`, `-` which some stubs
 * avoid) are shortened, as gdbserver does.
 */
export function runLengthEncode(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    let run = 1;
    while (i + run < s.length && s[i + run] === c && run < 98) run++;
    i += run;
    if (run < 4 || c === '#' || c === '$' || c === '*' || c === '}') {
      out += c.repeat(run);
      continue;
    }
    let extra = run - 1;
    // n = extra + 29 must not be '#' (35), '$' (36), '+' (43) or '-' (45).
    while ([35, 36, 43, 45].includes(extra + 29)) extra--;
    out += c + '*' + String.fromCharCode(extra + 29);
    out += c.repeat(run - 1 - extra);
  }
  return out;
}

/** Expands run-length encoding (used by tests and by a client reading our replies). */
export function runLengthDecode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '*' && out.length > 0 && i + 1 < s.length) {
      out += out[out.length - 1]!.repeat(s.charCodeAt(i + 1) - 29);
      i++;
    } else out += c;
  }
  return out;
}

/** Removes `}`-escaping from binary data (X packets). */
export function unescapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === ESCAPE && i + 1 < data.length) out.push(data[++i]! ^ ESCAPE_XOR);
    else out.push(b);
  }
  return Uint8Array.from(out);
}

/** Escapes `#`, `$`, `}` and `*` in binary reply data. */
export function escapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of data) {
    if (b === HASH || b === DOLLAR || b === ESCAPE || b === STAR) out.push(ESCAPE, b ^ ESCAPE_XOR);
    else out.push(b);
  }
  return Uint8Array.from(out);
}

/** What the receiver saw in the byte stream. */
export type Incoming =
  | { readonly kind: 'packet'; readonly data: Uint8Array }
  | { readonly kind: 'bad-checksum'; readonly expected: number; readonly got: number }
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak' }
  | { readonly kind: 'interrupt' };

const State = { IDLE: 0, DATA: 1, CHECK1: 2, CHECK2: 3 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * Splits the byte stream from gdb into packets, acks and interrupts. Packet payloads are returned
 * raw (still escaped: only X packets carry binary data, and only their handler unescapes it).
 */
export class PacketReader {
  private state: State = State.IDLE;
  private data: number[] = [];
  private check = '';
  private overflow = false;

  /** Feeds bytes; returns what they completed, in order. */
  feed(bytes: Uint8Array): Incoming[] {
    const out: Incoming[] = [];
    for (const b of bytes) {
      switch (this.state) {
        case State.IDLE:
          if (b === DOLLAR) this.begin();
          else if (b === ACK) out.push({ kind: 'ack' });
          else if (b === NAK) out.push({ kind: 'nak' });
          else if (b === INTERRUPT_BYTE) out.push({ kind: 'interrupt' });
          break; // anything else between packets is line noise
        case State.DATA:
          if (b === HASH) this.state = State.CHECK1;
          else if (b === DOLLAR) this.begin(); // a new packet restarts the frame (gdb retransmit)
          else if (this.data.length < MAX_PACKET) this.data.push(b);
          else this.overflow = true;
          break;
        case State.CHECK1:
          this.check = String.fromCharCode(b);
          this.state = State.CHECK2;
          break;
        case State.CHECK2: {
          this.check += String.fromCharCode(b);
          this.state = State.IDLE;
          const data = Uint8Array.from(this.data);
          const got = /^[0-9a-fA-F]{2}$/.test(this.check) ? parseInt(this.check, 16) : -1;
          const expected = checksum(data);
          if (got !== expected || this.overflow) out.push({ kind: 'bad-checksum', expected, got });
          else out.push({ kind: 'packet', data });
          break;
        }
      }
    }
    return out;
  }

  private begin(): void {
    this.state = State.DATA;
    this.data = [];
    this.overflow = false;
  }
}

/** Lowercase hex of bytes (register and memory replies). */
export function toHex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += ((bytes[i] ?? 0) & 0xff).toString(16).padStart(2, '0');
  return s;
}

/** Parses an even-length hex string to bytes; null if it is not hex. */
export function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A 32-bit value as target-order (little-endian) hex, the register encoding in g/p replies. */
export function le32Hex(v: number): string {
  return toHex([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}

/** Parses 8 hex digits of little-endian bytes back to an unsigned 32-bit value. */
export function parseLe32Hex(s: string): number | null {
  const b = fromHex(s);
  if (b === null || b.length !== 4) return null;
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}
