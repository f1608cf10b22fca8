// A secret the configuration names but the environment lacks, read inside a step at the adapter
// boundary (the Connect client's basic-auth password): the step fails with a precise CONFIGURATION
// error naming the reference, never INTERNAL.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConnectClient } from "../../../src/adapters/kafka/connect-client.js";
import { connectSchema } from "../../../src/config/schema.js";
import { defineStep } from "../../../src/engine/step-contract.js";
import { harness } from "./fixtures.js";

const UNSET = "SWITCHOVER_TEST_SECRET_NEVER_SET";

const connectStep = defineStep<{ worker: string }>({
  kind: "test.connect",
  description: "builds a Connect client for a worker whose password is a secret reference",
  adapters: [],
  input: () => z.strictObject({ worker: z.string() }),
  async plan(_ctx, input) {
    const config = connectSchema.parse({
      url: "http://127.0.0.1:1/",
      cluster: "dc2",
      basicAuth: { username: "mm2", password: { env: UNSET } },
    });
    new ConnectClient(input.worker, config);
    return { changes: [], outputs: {} };
  },
  async apply() {
    return null;
  },
  async verify() {},
});

describe("a missing secret inside a step", () => {
  it("when the Connect password's env var is unset, then the step fails with CONFIGURATION naming it", async () => {
    delete process.env[UNSET];
    const h = harness({ steps: [connectStep] });
    const runbook = h.runbook(
      "apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: connect }\nsteps:\n  - id: c\n    uses: test.connect\n    with: { worker: mm2 }\n",
    );
    const created = await h.engine.createRun({ runbook, dryRun: true });
    const run = await h.engine.execute(created.id);
    expect(run.state).toBe("failed");
    expect(run.steps[0]!.error).toEqual({
      code: "CONFIGURATION",
      message: `secret environment variable ${UNSET} is not set`,
      retryable: false,
      details: { env: UNSET },
    });
  });
});
