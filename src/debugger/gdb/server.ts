// The GDB stub's TCP side: listens on localhost, waits for gdb before the guest runs its first
// instruction (like QEMU's -s -S), serves one connection, and says how it ended.
import { type Server, type Socket, createServer } from 'node:net';
import type { Debugger } from '../core.js';
import { GdbSession } from './session.js';

/** How the gdb connection ended: killed (`k`), detached (`D`) or the connection closed. */
export type GdbEnd = 'killed' | 'detached' | 'disconnected';

export interface GdbServerOptions {
  /** TCP port; 0 picks a free one (reported through onListening). */
  readonly port: number;
  readonly host?: string;
  /** Called once listening, with the port actually bound. */
  readonly onListening?: (port: number) => void;
}

/** Serves one gdb connection on `dbg`; resolves when it ends (rejects if the port cannot be bound). */
export function serveGdb(dbg: Debugger, opts: GdbServerOptions): Promise<GdbEnd> {
  return new Promise<GdbEnd>((resolve, reject) => {
    let server: Server | null = null;
    let done = false;
    const finish = (how: GdbEnd, sock: Socket): void => {
      if (done) return;
      done = true;
      sock.end();
      sock.destroy();
      resolve(how);
    };
    server = createServer((sock) => {
      // One debugger at a time, as QEMU's gdbstub: stop listening once gdb is here.
      server?.close();
      sock.setNoDelay(true);
      const session = new GdbSession(
        dbg,
        (b) => {
          if (!sock.destroyed) sock.write(b);
        },
        { onKill: () => finish('killed', sock), onDetach: () => setImmediate(() => finish('detached', sock)) },
      );
      sock.on('data', (d: Buffer) => session.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
      sock.on('close', () => finish('disconnected', sock));
      sock.on('error', () => finish('disconnected', sock));
    });
    server.on('error', (e) => {
      if (!done) reject(e);
    });
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      const a = server?.address();
      opts.onListening?.(typeof a === 'object' && a !== null ? a.port : opts.port);
    });
  });
}
