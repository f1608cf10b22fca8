// Targets come from the fields a step kind declares, resolved from params alone before a run starts.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Runbook, StepSpec } from "./runbook/model.js";
import type { StepCatalog } from "./step-catalog.js";
import { defineStep } from "./step-contract.js";
import type { AnyStep, StepTargets } from "./step-contract.js";
import { describeTarget, resolveRunbookTargets, targetsOfInput } from "./step-targets.js";
import type { TargetCatalog } from "./target-catalog.js";

const known: TargetCatalog = {
  clusters: ["dc1", "dc2", "stretch"],
  dnsZones: ["sandbox"],
  consumerFleets: ["orders"],
  replicationFlows: ["dc1-to-dc2"],
  connectWorkers: ["connect-dc2"],
  httpAllow: [],
  secrets: [],
};

function kind(name: string, targets?: StepTargets): AnyStep {
  return defineStep({
    kind: name,
    description: name,
    adapters: [],
    ...(targets ? { targets } : {}),
    input: () => z.unknown(),
    plan: () => Promise.resolve({ changes: [], outputs: {} }),
    apply: () => Promise.resolve(null),
    verify: () => Promise.resolve(),
  });
}

const kinds = new Map<string, AnyStep>(
  [
    kind("t.cluster", { cluster: "cluster" }),
    kind("t.flow", { flow: "replication flow", connect: "connect worker" }),
    kind("t.fleet", { fleet: "consumer fleet", cluster: "cluster" }),
    kind("t.zone", { zone: "dns zone" }),
    kind("t.none"),
  ].map((k) => [k.kind, k]),
);
const catalog: StepCatalog = { get: (k) => kinds.get(k), kinds: () => [...kinds.keys()] };

function runbook(steps: Partial<StepSpec>[], params: Runbook["params"] = {}): Runbook {
  return {
    apiVersion: "switchover/v1",
    kind: "Runbook",
    metadata: { name: "rb", labels: {} },
    params,
    steps: steps.map((s, i) => ({ id: `s${i}`, uses: "t.cluster", with: {}, onFailure: "abort", ...s })),
  };
}

const run = { id: "run-1", dryRun: false };
const str = (d: string) => ({ type: "string" as const, required: false, default: d });

describe("resolveRunbookTargets", () => {
  it.each<[string, Partial<StepSpec>[], Runbook["params"], Record<string, string>, string[]]>([
    ["a literal cluster", [{ with: { cluster: "dc1" } }], {}, {}, ["cluster dc1"]],
    [
      "a cluster from a param",
      [{ with: { cluster: "${{ params.c }}" } }],
      { c: str("dc1") },
      { c: "dc2" },
      ["cluster dc2"],
    ],
    [
      "a cluster built by an expression",
      [{ with: { cluster: "dc${{ params.n }}" } }],
      { n: { type: "number", required: false, default: 1 } },
      {},
      ["cluster dc1"],
    ],
    [
      "a param equal to a cluster name in an undeclared field",
      [{ with: { cluster: "stretch", rack: "${{ params.failedRack }}", note: "dc1" } }],
      { failedRack: str("dc1") },
      {},
      ["cluster stretch"],
    ],
    ["a step kind that declares no targets", [{ uses: "t.none", with: { cluster: "dc1" } }], {}, {}, []],
    [
      "an optional target field left out",
      [{ uses: "t.fleet", with: { fleet: "orders" } }],
      {},
      {},
      ["consumer fleet orders"],
    ],
    [
      "every declared kind, each target once",
      [
        { uses: "t.flow", with: { flow: "dc1-to-dc2", connect: "connect-dc2" } },
        { uses: "t.fleet", with: { fleet: "orders", cluster: "dc2" } },
        { uses: "t.zone", with: { zone: "sandbox" } },
        { with: { cluster: "dc2" } },
      ],
      {},
      {},
      [
        "replication flow dc1-to-dc2",
        "connect worker connect-dc2",
        "consumer fleet orders",
        "cluster dc2",
        "dns zone sandbox",
      ],
    ],
    [
      "a step skipped by a condition on params",
      [
        { when: "params.extra != ''", with: { cluster: "${{ params.extra }}" } },
        { with: { cluster: "dc2" } },
      ],
      { extra: str("") },
      {},
      ["cluster dc2"],
    ],
    [
      "a condition that needs earlier outputs keeps the step",
      [{ when: "steps.s1.outputs.go", with: { cluster: "dc1" } }],
      {},
      {},
      ["cluster dc1"],
    ],
    [
      "a revert step's recorded input, taken as written",
      [{ literal: true, with: { cluster: "dc1" } }],
      {},
      {},
      ["cluster dc1"],
    ],
  ])("%s", (_what, steps, params, given, expected) => {
    const rb = runbook(steps, params);
    const values = Object.fromEntries(Object.entries(params).map(([k, p]) => [k, given[k] ?? p.default!]));
    const r = resolveRunbookTargets(rb, values, catalog, known, run);
    expect(r.problems).toEqual([]);
    expect(r.targets.map(describeTarget).sort()).toEqual([...expected].sort());
  });

  it.each<[string, Partial<StepSpec>, RegExp]>([
    [
      "a name from an earlier step's outputs",
      { with: { cluster: "${{ steps.s0.outputs.c }}" } },
      /cannot be resolved before the run starts \(steps\.s0 is not defined\)/,
    ],
    [
      "an unknown name",
      { with: { cluster: "dc${{ 9 }}" } },
      /^unknown cluster "dc9" \(configured: dc1, dc2, stretch\)$/,
    ],
    ["a value that is not a name", { with: { cluster: "${{ 3 }}" } }, /resolves to number, not a name/],
    ["a param left empty", { with: { cluster: "${{ params.c }}" } }, /resolves to null, not a name/],
    [
      "an unknown recorded name on a revert step",
      { literal: true, with: { cluster: "${{ params.c }}" } },
      /^unknown cluster/,
    ],
  ])("fails closed on %s, naming the field", (_what, step, message) => {
    const rb = runbook([{ with: { cluster: "dc1" } }, step], { c: { type: "string", required: false } });
    const r = resolveRunbookTargets(rb, {}, catalog, known, run);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toBe("steps[1].with.cluster");
    expect(r.problems[0]!.message).toMatch(message);
    expect(r.targets.map(describeTarget)).toEqual(["cluster dc1"]);
  });
});

describe("targetsOfInput", () => {
  it("reads the declared fields of a resolved input, in declaration order", () => {
    const declared: StepTargets = { fleet: "consumer fleet", cluster: "cluster" };
    expect(targetsOfInput(declared, { cluster: "dc1", fleet: "orders", groups: ["dc2"] })).toEqual([
      { kind: "consumer fleet", name: "orders" },
      { kind: "cluster", name: "dc1" },
    ]);
    expect(targetsOfInput(declared, { groups: ["dc1"] })).toEqual([]);
    expect(targetsOfInput(undefined, { cluster: "dc1" })).toEqual([]);
    expect(targetsOfInput(declared, null)).toEqual([]);
  });
});
