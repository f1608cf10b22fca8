// Hostile input, property-based (fast-check): every operation in openapi/switchover.yaml gets
// generated path params, query strings, headers and bodies (shaped by its schema, then corrupted),
// and the runbook validator gets hostile documents (alias bombs, deep nesting, giant strings,
// expression injection, path traversal). Every answer must be < 500 and prompt, the process's heap
// must stay bounded, and the server must still answer afterwards.
import { readFileSync } from "node:fs";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../sandbox/lib/paths.js";
import { startHarness } from "../api/harness.js";
import type { Harness } from "../api/harness.js";
import { addFigures } from "./lib/figures.js";
import { listenApi } from "../../src/api/server.js";

type Schema = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; schema?: Schema }[];
  body?: { type: string; schema?: Schema };
}

const doc = parse(readFileSync(join(repoRoot, "openapi", "switchover.yaml"), "utf8")) as {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, Schema> };
};

function deref<T>(x: T): T {
  const ref = (x as { $ref?: string } | undefined)?.$ref;
  if (!ref) return x;
  const [, , kind, name] = ref.split("/");
  return deref((doc.components as unknown as Record<string, Record<string, T>>)[kind!]![name!]!);
}

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = ((item.parameters as unknown[]) ?? []).map(deref) as Operation["params"];
    for (const method of ["get", "post", "put", "patch", "delete"]) {
      const op = item[method] as
        | { parameters?: unknown[]; requestBody?: { content: Record<string, { schema?: Schema }> } }
        | undefined;
      if (!op) continue;
      const params = [...shared, ...((op.parameters ?? []).map(deref) as Operation["params"])];
      const content = op.requestBody?.content ?? {};
      const type = Object.keys(content)[0];
      out.push({
        method: method.toUpperCase(),
        path,
        params,
        ...(type
          ? { body: { type, ...(content[type]!.schema ? { schema: deref(content[type]!.schema) } : {}) } }
          : {}),
      });
    }
  }
  return out;
}

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "${{ constructor.constructor('return process')().exit(1) }}",
    "${{ params.__proto__.polluted }}",
    "__proto__",
    "constructor",
    "%00",
    "\u0000",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "*",
    "dc1",
    "touch-dc1",
    "-1",
    "1e309",
    "NaN",
  ),
  fc.string({ minLength: 2_000, maxLength: 70_000 }).map((s) => s.padEnd(2_000, "x")),
);

/** A value for a schema: mostly shaped like it, often corrupted. */
function valueFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema ?? {});
  const junk = fc.oneof(
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 3 }),
  );
  if (depth > 4) return junk;
  const shaped = ((): fc.Arbitrary<unknown> => {
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
    const variants = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
    if (variants) return fc.oneof(...variants.map((v) => valueFor(v, depth + 1)));
    switch (s.type) {
      case "object": {
        const props = (s.properties ?? {}) as Record<string, Schema>;
        const rec: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(props)) rec[k] = valueFor(v, depth + 1);
        return fc
          .tuple(fc.record(rec, { requiredKeys: [] }), fc.dictionary(hostileString, junk, { maxKeys: 3 }))
          .map(([a, b]) => ({ ...b, ...a }));
      }
      case "array":
        return fc.array(valueFor(s.items as Schema, depth + 1), { maxLength: 5 });
      case "integer":
        return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 53, 1e308));
      case "number":
        return fc.double();
      case "boolean":
        return fc.boolean();
      case "string":
        return hostileString;
      default:
        return junk;
    }
  })();
  return fc.oneof({ weight: 3, arbitrary: shaped }, { weight: 1, arbitrary: junk });
}

const YAML_BOMB = [
  "a: &a [x, x, x, x, x, x, x, x, x, x]",
  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]",
  "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]",
  "i: [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]",
].join("\n");

const runbookDoc = (name: string, uses: string, value: string): string =>
  `apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: ${JSON.stringify(name)} }\nsteps:\n  - id: s\n    uses: ${JSON.stringify(uses)}\n    with: { that: ${JSON.stringify(value)}, message: m }\n`;

const hostileRunbook = fc.oneof(
  fc.constant(YAML_BOMB),
  fc.constant(`apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: bomb }\n${YAML_BOMB}`),
  fc.integer({ min: 100, max: 50_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
  fc.integer({ min: 100, max: 50_000 }).map((n) => `${"{a: ".repeat(n)}1${"}".repeat(n)}`),
  fc
    .integer({ min: 50, max: 3_000 })
    .map((n) => Array.from({ length: n }, (_, i) => `${" ".repeat(i)}k:`).join("\n")),
  fc
    .integer({ min: 10_000, max: 900_000 })
    .map((n) => `apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: ${"x".repeat(n)} }\n`),
  fc.constant(`x: ${"y".repeat(1_100_000)}`),
  fc.tuple(hostileString, hostileString, hostileString).map(([a, b, c]) => runbookDoc(a, b, c)),
  fc.constantFrom(
    runbookDoc("../../etc/passwd", "assert", "true"),
    runbookDoc("ok", "../../../steps/evil", "true"),
    runbookDoc("ok", "assert", "${{ constructor.constructor('return process')().exit(1) }}"),
    runbookDoc("ok", "assert", "${{ this.process.mainModule.require('child_process') }}"),
    runbookDoc("ok", "assert", "${{ steps['__proto__'].outputs }}"),
    runbookDoc("ok", "assert", `\${{ ${"(".repeat(5_000)}1${")".repeat(5_000)} }}`),
    runbookDoc("ok", "assert", `\${{ ${"1 + ".repeat(20_000)}1 }}`),
    runbookDoc("ok", "assert", `\${{ params.a${".b".repeat(20_000)} }}`),
    "!!js/function 'function(){ process.exit(1) }'",
    "key: !!binary aGVsbG8=\n",
    "%YAML 1.1\n---\n<<: *undefined\n",
    "a: &a\n  b: *a\n",
    "\uFEFF\u0000\u0001",
  ),
  fc.string({ maxLength: 500 }),
);

let h: Harness;
let server: Server;
let base = "";
let tried = 0;
const slow: string[] = [];
const bad: string[] = [];
const notProblem: string[] = [];

async function send(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<number> {
  const t0 = Date.now();
  tried += 1;
  let status = 0;
  try {
    const res = await fetch(`${base}${url}`, {
      method,
      headers,
      ...(body !== undefined && method !== "GET" && method !== "HEAD" ? { body } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    status = res.status;
    const type = res.headers.get("content-type") ?? "";
    const wantsJson = !headers.accept || /json|\*\/\*/.test(headers.accept);
    if (status >= 400 && wantsJson && !type.startsWith("application/problem+json")) {
      notProblem.push(`${method} ${url.slice(0, 100)} → ${status} ${type}`);
    }
    // An event stream stays open by design: its 200 head is the answer.
    if (res.headers.get("content-type")?.startsWith("text/event-stream")) await res.body?.cancel();
    else await res.arrayBuffer();
  } catch (err) {
    bad.push(`${method} ${url.slice(0, 120)}: ${err instanceof Error ? err.message : String(err)}`);
    return 599;
  }
  const ms = Date.now() - t0;
  if (ms > 5_000) slow.push(`${method} ${url.slice(0, 120)}: ${ms} ms`);
  if (status >= 500)
    bad.push(`${method} ${url.slice(0, 200)} → ${status} (body ${String(body).slice(0, 200)})`);
  return status;
}

beforeAll(async () => {
  h = await startHarness();
  server = listenApi(h.service.app, { port: 0, host: "127.0.0.1" });
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await h?.close();
  addFigures(
    { inputsTried: tried },
    `fuzzing: ${tried} hostile requests, ${bad.length} answered ≥ 500 or failed`,
  );
});

const tokenFor = fc.constantFrom<"admin" | "operator" | "viewer" | "garbage" | "none">(
  "admin",
  "admin",
  "operator",
  "viewer",
  "garbage",
  "none",
);

describe("hostile input", () => {
  it.each(operations().map((o) => [`${o.method} ${o.path}`, o] as const))(
    "%s: generated params, headers and bodies never get a 5xx",
    async (_name, op) => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            path: fc.tuple(
              ...op.params.filter((p) => p.in === "path").map((p) => valueFor(p.schema)),
              fc.constant(0),
            ),
            query: fc.dictionary(
              fc.oneof(
                fc.constantFrom(...op.params.filter((p) => p.in === "query").map((p) => p.name), "x"),
                fc.string({ maxLength: 8 }),
              ),
              fc.oneof(hostileString, fc.integer().map(String)),
              { maxKeys: 4 },
            ),
            token: tokenFor,
            idem: fc.option(fc.oneof(fc.uuid(), fc.stringMatching(/^[ -~]{0,300}$/)), { nil: undefined }),
            lastEventId: fc.option(fc.stringMatching(/^[ -~]{0,80}$/), { nil: undefined }),
            contentType: fc.constantFrom(
              op.body?.type ?? "application/json",
              "application/json",
              "text/plain",
              "application/x-www-form-urlencoded",
              "application/json; charset=utf-16",
              "",
              "multipart/form-data; boundary=x",
            ),
            accept: fc.constantFrom(
              "*/*",
              "application/json",
              "text/plain",
              "text/html",
              "application/problem+json",
              "image/png;q=0.1, */*;q=0",
            ),
            body: fc.oneof(
              valueFor(op.body?.schema).map((v) => JSON.stringify(v) ?? "null"),
              fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
              fc.string({ maxLength: 200 }),
              fc.constantFrom(
                "{",
                "[]",
                "null",
                '{"__proto__": {"admin": true}}',
                `{"a":${"[".repeat(5_000)}${"]".repeat(5_000)}}`,
                "x".repeat(70_000),
              ),
            ),
          }),
          async (g) => {
            let i = 0;
            const pathParams = op.params.filter((p) => p.in === "path");
            const url = op.path.replace(/\{[^}]+\}/g, () => {
              const v = g.path[i++];
              return encodeURIComponent(typeof v === "string" ? v : (JSON.stringify(v) ?? "x"));
            });
            void pathParams;
            const qs = new URLSearchParams(g.query).toString();
            const headers: Record<string, string> = { accept: g.accept };
            if (g.token === "garbage") headers.authorization = "Bearer so_nope_123";
            else if (g.token !== "none") headers.authorization = `Bearer ${h.tokens[g.token]}`;
            if (g.idem !== undefined) headers["idempotency-key"] = g.idem;
            if (g.lastEventId !== undefined) headers["last-event-id"] = g.lastEventId;
            if (g.contentType) headers["content-type"] = g.contentType;
            const status = await send(op.method, `${url}${qs ? `?${qs}` : ""}`, headers, g.body);
            return status < 500;
          },
        ),
        { numRuns: 25, endOnFailure: true },
      );
    },
    120_000,
  );

  it("hostile runbook documents get a precise answer, never a 5xx, a hang or a heap blow-up", async () => {
    const heap0 = process.memoryUsage().heapUsed;
    let peak = heap0;
    await fc.assert(
      fc.asyncProperty(
        hostileRunbook,
        fc.constantFrom("application/yaml", "text/yaml", "application/json", "text/plain"),
        async (text, type) => {
          const status = await send(
            "POST",
            "/v1/runbooks/validate",
            { authorization: `Bearer ${h.tokens.viewer}`, "content-type": type },
            text,
          );
          peak = Math.max(peak, process.memoryUsage().heapUsed);
          return status < 500;
        },
      ),
      { numRuns: 60, endOnFailure: true },
    );
    expect(peak - heap0, "heap growth while validating hostile documents").toBeLessThan(512 * 1024 * 1024);
  }, 180_000);

  it("expression injection in run params stays data: a dry-run of a real runbook treats it as a string", async () => {
    for (const evil of [
      "${{ constructor.constructor('return process')().exit(1) }}",
      "${{ params }}",
      "../../etc",
    ]) {
      const status = await send(
        "POST",
        "/v1/runbooks/touch-dc1/runs",
        { authorization: `Bearer ${h.tokens.admin}`, "content-type": "application/json" },
        JSON.stringify({ params: { key: evil }, dryRun: true }),
      );
      expect(status).toBeLessThan(500);
    }
  });

  it("the server is alive and answered every hostile request below 500, promptly", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(bad).toEqual([]);
    expect(slow).toEqual([]);
    expect([...new Set(notProblem)], "4xx answers that are not application/problem+json").toEqual([]);
    expect(tried).toBeGreaterThan(500);
  });
});
