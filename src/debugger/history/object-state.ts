// Captures the state of a graph of plain-data objects (the processor, VT-x state, hypervisor
// records) and restores it IN PLACE, so every reference other code holds stays valid. It copies
// primitives, typed arrays, arrays, Maps and Sets, recursing through objects; functions and the
// objects in `skip` (memory, buses, devices with their own saveState) are kept by reference only.
// What closures hold is invisible to it: owners of closure state must snapshot it themselves.

type Value =
  | { readonly t: 'prim'; readonly v: unknown }
  | { readonly t: 'ref'; readonly v: object }
  | { readonly t: 'typed'; readonly v: ArrayBufferView; readonly copy: ArrayBufferView }
  | { readonly t: 'obj'; readonly v: object; readonly node: Node };

interface Node {
  readonly kind: 'object' | 'array' | 'map' | 'set';
  /** object: [key, value]; array: [index, value]; map: [key value, value]; set: [member, member]. */
  readonly entries: readonly (readonly [Value | string, Value])[];
}

/** What to leave alone. */
export interface CaptureOptions {
  /** Objects kept by reference (never copied or restored). */
  readonly skip: ReadonlySet<object>;
  /** Typed arrays over these buffers are kept by reference (views of guest memory). */
  readonly skipBuffers: ReadonlySet<ArrayBufferLike>;
  /** Further objects kept by reference (e.g. decoded instructions, which are caches). */
  readonly skipIf?: (o: object) => boolean;
}

/** A captured graph (opaque) and the bytes its typed-array copies hold. */
export interface CapturedState {
  readonly root: Value;
  readonly bytes: number;
}

function isTyped(x: object): x is ArrayBufferView {
  return ArrayBuffer.isView(x);
}

function copyView(v: ArrayBufferView): ArrayBufferView {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
  return bytes;
}

/** Captures everything reachable from `root` (which must be an object). */
export function captureState(root: object, opts: CaptureOptions): CapturedState {
  const seen = new Map<object, Value>();
  let bytes = 0;
  const cap = (x: unknown): Value => {
    if (x === null || (typeof x !== 'object' && typeof x !== 'function')) return { t: 'prim', v: x };
    if (typeof x === 'function') return { t: 'ref', v: x };
    const o = x as object;
    const known = seen.get(o);
    if (known) return known;
    if (opts.skip.has(o) || (opts.skipIf?.(o) ?? false)) {
      const r: Value = { t: 'ref', v: o };
      seen.set(o, r);
      return r;
    }
    if (isTyped(o)) {
      if (opts.skipBuffers.has(o.buffer)) return { t: 'ref', v: o };
      const copy = copyView(o);
      bytes += copy.byteLength;
      const r: Value = { t: 'typed', v: o, copy };
      seen.set(o, r);
      return r;
    }
    const entries: (readonly [Value | string, Value])[] = [];
    const kind = Array.isArray(o) ? 'array' : o instanceof Map ? 'map' : o instanceof Set ? 'set' : 'object';
    const r: Value = { t: 'obj', v: o, node: { kind, entries } };
    seen.set(o, r);
    if (o instanceof Map) for (const [k, v] of o) entries.push([cap(k), cap(v)]);
    else if (o instanceof Set) for (const m of o) { const c = cap(m); entries.push([c, c]); }
    else if (Array.isArray(o)) o.forEach((v, i) => entries.push([String(i), cap(v)]));
    else for (const k of Object.keys(o)) entries.push([k, cap((o as Record<string, unknown>)[k])]);
    return r;
  };
  const root0 = cap(root);
  return { root: root0, bytes };
}

function valueOf(v: Value): unknown {
  return v.v;
}

/** Puts every captured value back into the same objects. */
export function restoreState(state: CapturedState): void {
  const done = new Set<object>();
  const put = (v: Value): void => {
    if (v.t === 'typed') {
      if (done.has(v.v)) return;
      done.add(v.v);
      new Uint8Array(v.v.buffer, v.v.byteOffset, v.v.byteLength).set(new Uint8Array(v.copy.buffer, v.copy.byteOffset, v.copy.byteLength));
      return;
    }
    if (v.t !== 'obj' || done.has(v.v)) return;
    done.add(v.v);
    const { kind, entries } = v.node;
    const o = v.v;
    if (kind === 'map') {
      const m = o as Map<unknown, unknown>;
      m.clear();
      for (const [k, x] of entries) {
        m.set(valueOf(k as Value), valueOf(x));
        put(k as Value);
        put(x);
      }
      return;
    }
    if (kind === 'set') {
      const s = o as Set<unknown>;
      s.clear();
      for (const [, x] of entries) {
        s.add(valueOf(x));
        put(x);
      }
      return;
    }
    const rec = o as Record<string, unknown>;
    if (kind === 'array') (o as unknown[]).length = entries.length;
    else {
      // Properties added since the capture go away (they did not exist then).
      const keep = new Set(entries.map(([k]) => k as string));
      for (const k of Object.keys(rec)) if (!keep.has(k) && !Object.isFrozen(rec)) delete rec[k];
    }
    for (const [k, x] of entries) {
      const key = k as string;
      if (rec[key] !== x.v && !Object.isFrozen(rec)) rec[key] = valueOf(x);
      put(x);
    }
  };
  put(state.root);
}
