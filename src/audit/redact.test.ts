// Redaction: every way a secret can arrive (Secret, sensitive key, bearer string, URL password) comes
// out as "[redacted]"; hostile shapes (cycles, depth, __proto__, exotic values) give plain JSON.
import { describe, expect, it } from "vitest";
import { Secret } from "../config/secret.js";
import {
  CIRCULAR,
  MAX_REDACT_DEPTH,
  REDACTED,
  TRUNCATED,
  redact,
  redactObject,
  redactString,
} from "./redact.js";

describe("redact", () => {
  it("replaces Secret instances wherever they are", () => {
    const s = new Secret("hunter2");
    expect(redact({ a: s, list: [s, { deep: s }], s })).toEqual({
      a: REDACTED,
      list: [REDACTED, { deep: REDACTED }],
      s: REDACTED,
    });
  });

  it.each([
    "password",
    "dbPassword",
    "PASSWD",
    "clientSecret",
    "accessToken",
    "Authorization",
    "apiKey",
    "api_key",
    "API-KEY",
    "apikey",
    "tsigKey",
    "sasl",
    "SASL_JAAS",
  ])("redacts any value under the key %s", (key) => {
    expect(redact({ [key]: { nested: "x", n: 1 } })).toEqual({ [key]: REDACTED });
    expect(redact({ outer: [{ [key]: 42 }] })).toEqual({ outer: [{ [key]: REDACTED }] });
  });

  it("leaves ordinary keys alone", () => {
    expect(redact({ topic: "orders", group: "g1", partitions: 12, ok: true, none: null })).toEqual({
      topic: "orders",
      group: "g1",
      partitions: 12,
      ok: true,
      none: null,
    });
  });

  it("redacts bearer tokens and URL passwords inside strings, keeping the rest", () => {
    expect(redactString("Authorization: Bearer abc.DEF-123_~+/=")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactString("curl -H 'bearer    xyz' $SO")).toBe(`curl -H 'bearer ${REDACTED}' $SO`);
    expect(redactString("redis://app:p%40ss@redis:6379/0")).toBe(`redis://app:${REDACTED}@redis:6379/0`);
    expect(redactString("nothing to see")).toBe("nothing to see");
    expect(redact({ note: "sent Bearer t0k3n to dc2" })).toEqual({ note: `sent Bearer ${REDACTED} to dc2` });
    expect(redact(["Bearer t0k3n"])).toEqual([`Bearer ${REDACTED}`]);
  });

  it("is cycle-safe, and a shared (non-cyclic) object is not mistaken for a cycle", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    const shared = { v: 1 };
    expect(redact({ a, x: shared, y: shared })).toEqual({
      a: { name: "a", self: CIRCULAR },
      x: { v: 1 },
      y: { v: 1 },
    });
    const arr: unknown[] = [];
    arr.push(arr);
    expect(redact(arr)).toEqual([CIRCULAR]);
  });

  it("bounds depth", () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100; i++) deep = { d: deep };
    let out = redact(deep) as Record<string, unknown>;
    let depth = 0;
    while (typeof out.d === "object" && out.d !== null) {
      out = out.d as Record<string, unknown>;
      depth++;
    }
    expect(out.d).toBe(TRUNCATED);
    expect(depth).toBe(MAX_REDACT_DEPTH - 1);
  });

  it("turns exotic values into JSON the way JSON.stringify would, so hashes survive a round trip", () => {
    const when = new Date("2026-01-02T03:04:05.678Z");
    const err = Object.assign(new Error("boom Bearer leaked"), { code: "E1", token: "t" });
    const out = redact({
      when,
      big: 12345678901234567890n,
      nan: Number.NaN,
      inf: Infinity,
      undef: undefined,
      fn: () => 1,
      sym: Symbol("s"),
      arr: [undefined, () => 1],
      map: new Map<unknown, unknown>([
        ["k", 1],
        ["password", "x"],
      ]),
      set: new Set([1, 2]),
      err,
      boxed: new String("s"),
    });
    expect(out).toEqual({
      when: "2026-01-02T03:04:05.678Z",
      big: "12345678901234567890",
      nan: null,
      inf: null,
      arr: [null, null],
      map: { k: 1, password: REDACTED },
      set: [1, 2],
      err: { name: "Error", message: `boom Bearer ${REDACTED}`, code: "E1", token: REDACTED },
      boxed: "s",
    });
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it("keeps a __proto__ key as data without touching prototypes", () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as unknown;
    const out = redact(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"ok":1}');
  });

  it("redactObject always yields an object", () => {
    expect(redactObject("Bearer x")).toEqual({ value: `Bearer ${REDACTED}` });
    expect(redactObject(null)).toEqual({ value: null });
    expect(redactObject({ a: 1 })).toEqual({ a: 1 });
  });

  // Issue 18, finding 9: secrets in a webhook URL's path or query were redacted nowhere.
  it("masks credential query parameters and every secret value the process has read", () => {
    expect(redactString("POST https://h.example/hook?channel=ops&token=abc123&sig=zz9#x")).toBe(
      `POST https://h.example/hook?channel=ops&token=${REDACTED}&sig=${REDACTED}#x`,
    );
    expect(redactString("https://h.example/x?api_key=k1&page=2")).toBe(
      `https://h.example/x?api_key=${REDACTED}&page=2`,
    );
    const hook = new Secret("https://hooks.example/services/T01/B02/XyZsecretPath");
    expect(redactString(`unexpected 404 from ${hook.reveal()}`)).toBe(`unexpected 404 from ${REDACTED}`);
    expect(redact({ url: "T01/B02/XyZsecretPath" })).toEqual({ url: "T01/B02/XyZsecretPath" });
    new Secret("short");
    expect(redactString("a short word")).toBe("a short word");
  });
});
