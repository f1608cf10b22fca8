// The adapters an apply gets when its run is fenced: every method call (and those of objects an
// adapter hands out, such as a cluster's client) first checks, without I/O, that this process still
// owns the run, so an apply resumed after its process stalled past the lease stops at its next call
// instead of mutating a world another worker now drives.
type Wrappable = Record<PropertyKey, unknown>;

function wrappable(v: unknown): v is Wrappable {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof Map) &&
    !(v instanceof Set) &&
    !(v instanceof Date) &&
    typeof (v as { then?: unknown }).then !== "function"
  );
}

function guarded<T extends object>(obj: T, check: () => void, depth: number): T {
  const deeper = (x: unknown): unknown => (depth > 0 && wrappable(x) ? guarded(x, check, depth - 1) : x);
  return new Proxy(obj, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== "function") return deeper(v);
      return (...args: unknown[]): unknown => {
        check();
        const r: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
        return r instanceof Promise ? r.then(deeper) : deeper(r);
      };
    },
  });
}

/** Wraps each adapter so that check() runs before every call made through it. */
export function fenceAdapters<T extends object>(adapters: T, check: () => void): T {
  const out: Record<string, unknown> = {};
  for (const [name, adapter] of Object.entries(adapters)) {
    out[name] = wrappable(adapter) ? guarded(adapter, check, 3) : adapter;
  }
  return out as T;
}
