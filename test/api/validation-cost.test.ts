// Any viewer may post a runbook document to /v1/runbooks/validate, and in `all` mode in-flight runs
// share the event loop with that validation: a document of the largest allowed size (1 MiB) must
// not block the loop for long, whatever its shape. Measured with perf_hooks' event-loop delay.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_PROBLEMS } from "../../src/api/runbook-validator.js";
import { DOCUMENT_LIMITS } from "../../src/engine/runbook/parse-runbook.js";
import { call } from "./contract.js";
import { startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

let h: Harness;
/** Event-loop delay while a tiny document is validated: this machine's own noise (shared cores). */
let noiseMs = 0;
beforeAll(async () => {
  h = await startHarness({ mode: "api" });
  for (let i = 0; i < 3; i++) noiseMs = Math.max(noiseMs, (await validate(TINY, false)).delayMs);
  console.log(`validate a tiny document: event-loop delay max ${noiseMs.toFixed(1)} ms (machine noise)`);
});
afterAll(async () => {
  await h.close();
});

/** The goal; the assertion adds the noise measured on a tiny document (the quadratic check took minutes). */
const MAX_DELAY_MS = 100;
const TINY =
  "apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: t }\nsteps: [{ id: a, uses: wait, with: { duration: 1s } }]\n";

const HEAD = `apiVersion: switchover/v1
kind: Runbook
metadata:
  name: big
  labels:
`;
const TAIL = `steps:
  - id: pause
    uses: wait
    with: { duration: 1s }
`;

/** `lines` repeated until the document is just under the size limit. */
function fill(line: (i: number) => string, tail = TAIL, extra = ""): string {
  const parts = [HEAD];
  let size = HEAD.length + tail.length + extra.length;
  for (let i = 0; ; i++) {
    const l = line(i);
    if (size + l.length > DOCUMENT_LIMITS.maxBytes) break;
    parts.push(l);
    size += l.length;
  }
  return `${parts.join("")}${extra}${tail}`;
}

async function validate(
  text: string,
  full = true,
): Promise<{ body: Record<string, unknown>; delayMs: number }> {
  if (full) {
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(DOCUMENT_LIMITS.maxBytes);
    expect(Buffer.byteLength(text)).toBeGreaterThan(DOCUMENT_LIMITS.maxBytes - 64);
  }
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const res = await call(h.service.app, "POST", "/v1/runbooks/validate", {
    token: h.tokens.viewer,
    raw: text,
    contentType: "application/yaml",
  });
  delay.disable();
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  return { body: res.body as Record<string, unknown>, delayMs: delay.max / 1e6 };
}

describe("POST /v1/runbooks/validate with a 1 MiB document", () => {
  const shapes: { name: string; text: () => string; valid: boolean }[] = [
    { name: "one mapping with unique keys", text: () => fill((i) => `    k${i}: v\n`), valid: true },
    {
      name: "one mapping whose last key repeats the first",
      text: () => fill((i) => `    k${i}: v\n`, TAIL, "    k0: again\n"),
      valid: false,
    },
    {
      // Every key an unknown input of one step, so every key is a located problem.
      name: "a step with tens of thousands of unknown inputs",
      text: () => {
        const head = `${HEAD}    a: b\nsteps:\n  - id: pause\n    uses: wait\n    with:\n      duration: 1s\n`;
        const parts = [head];
        let size = head.length;
        for (let i = 0; ; i++) {
          const l = `      x${i}: 1\n`;
          if (size + l.length > DOCUMENT_LIMITS.maxBytes) break;
          parts.push(l);
          size += l.length;
        }
        return parts.join("");
      },
      valid: false,
    },
  ];

  for (const shape of shapes) {
    it(`when it is ${shape.name}, then the event loop is never blocked for ${MAX_DELAY_MS} ms`, async () => {
      const { body, delayMs } = await validate(shape.text());
      console.log(`validate 1 MiB, ${shape.name}: event-loop delay max ${delayMs.toFixed(1)} ms`);
      expect(body.valid).toBe(shape.valid);
      if (!shape.valid) {
        expect((body.problems as unknown[]).length).toBeGreaterThan(0);
        expect((body.problems as unknown[]).length).toBeLessThanOrEqual(MAX_PROBLEMS + 1);
      }
      expect(delayMs).toBeLessThan(MAX_DELAY_MS + noiseMs);
    });
  }
});
