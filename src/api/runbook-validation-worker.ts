// Worker-thread side of RunbookValidator: parses and validates posted runbook documents off the
// main event loop, so a large or hostile document cannot stall in-flight runs and requests.
import { parentPort, workerData } from "node:worker_threads";
import { z } from "zod";
import { parseRunbook } from "../engine/runbook/parse-runbook.js";
import { defineStep } from "../engine/step-contract.js";
import type { TargetCatalog } from "../engine/target-catalog.js";
import { consumerSteps } from "../steps/consumers/index.js";
import { dnsSteps } from "../steps/dns/index.js";
import { createStepRegistry } from "../steps/registry.js";
import { capped } from "./runbook-validator.js";
import type { ValidationReply, ValidationRequest, ValidatorWorkerData } from "./runbook-validator.js";

const data = workerData as ValidatorWorkerData;
const targets: TargetCatalog = data.targets;
const catalog = createStepRegistry([...dnsSteps, ...consumerSteps]);
// Kinds the composition root registered in-process only (test doubles): known by name here, their
// inputs checked when a run plans them.
for (const kind of data.extraKinds) {
  if (catalog.get(kind)) continue;
  catalog.register(
    defineStep<Record<string, unknown>>({
      kind,
      description: "registered in the main thread only",
      adapters: [],
      input: () => z.record(z.string(), z.unknown()),
      plan: () => Promise.reject(new Error(`${kind} does not run in the validation worker`)),
      apply: () => Promise.reject(new Error(`${kind} does not run in the validation worker`)),
      verify: () => Promise.resolve(),
    }),
  );
}

parentPort!.on("message", (req: ValidationRequest) => {
  let reply: ValidationReply;
  try {
    const result = parseRunbook(req.text, { file: req.file, catalog, targets });
    reply = result.ok
      ? { id: req.id, ok: true, name: result.runbook.metadata.name, steps: result.runbook.steps.length }
      : { id: req.id, ok: false, problems: capped(result.problems) };
  } catch (err) {
    reply = { id: req.id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
