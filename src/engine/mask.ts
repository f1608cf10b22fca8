// Masking before a value is recorded: every string inside `value` passed through `maskText` (which
// replaces the secret values the process has read). A plain deep copy; non-JSON values pass as is.
export type MaskText = (text: string) => string;

export function maskDeep<T>(value: T, maskText: MaskText): T {
  return walk(value, maskText) as T;
}

function walk(value: unknown, maskText: MaskText): unknown {
  if (typeof value === "string") return maskText(value);
  if (Array.isArray(value)) return value.map((v: unknown) => walk(v, maskText));
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: walk(v, maskText),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}
