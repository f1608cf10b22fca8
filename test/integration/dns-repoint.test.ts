// dns.repoint against the sandbox's real BIND: the answer dig and Node's resolver get changes, a wrong
// TSIG key is an auth error, apply is idempotent, revert restores the exact record, bad input changes nothing.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dns as topology } from "../../sandbox/topology.js";
import { createDnsZones } from "../../src/adapters/dns/providers/dns-zones.js";
import type { DnsZones } from "../../src/adapters/dns/providers/dns-zones.js";
import { DnsError } from "../../src/dns/errors.js";
import { queryAuthoritative } from "../../src/adapters/dns/query.js";
import type { QueryType } from "../../src/adapters/dns/query.js";
import { Rfc2136Client } from "../../src/adapters/dns/rfc2136.js";
import { TsigKey } from "../../src/adapters/dns/tsig.js";
import type { Config, DnsZoneConfig } from "../../src/config/schema.js";
import { resolveSecret } from "../../src/config/secret.js";
import { RunEngine } from "../../src/engine/engine.js";
import { SwitchoverError } from "../../src/engine/errors.js";
import type { JsonObject, JsonValue } from "../../src/engine/json.js";
import { MemoryAuditSink } from "../../src/engine/ports/audit-sink.js";
import { systemClock } from "../../src/engine/ports/clock.js";
import { MemoryLogger } from "../../src/engine/ports/logger.js";
import { MemoryRunStore } from "../../src/engine/ports/memory-run-store.js";
import { parseRunbookOrThrow } from "../../src/engine/runbook/parse-runbook.js";
import type { StepContext } from "../../src/steps/step-adapters.js";
import type { StepPlan } from "../../src/engine/step-contract.js";
import { targetsFromConfig } from "../../src/engine/target-catalog.js";
import type { TargetCatalog } from "../../src/engine/target-catalog.js";
import { dnsRepointStep } from "../../src/steps/dns/repoint.js";
import { createStepRegistry } from "../../src/steps/registry.js";
import { sandboxConfig } from "./sandbox.js";

const server = `127.0.0.1:${topology.port}`;
let config: Config;
let targets: TargetCatalog;
let zones: DnsZones;
let client: Rfc2136Client;
const created: string[] = [];

function uniqueName(prefix: string): string {
  const name = `${prefix}-${randomBytes(4).toString("hex")}.${topology.zone}`;
  created.push(name);
  return name;
}

/** `dig @127.0.0.1 -p 15353 +norec` answer lines as [name, ttl, type, value]. */
function dig(name: string, type: QueryType): string[][] {
  const out = execFileSync(
    "dig",
    [
      "@127.0.0.1",
      "-p",
      String(topology.port),
      "+norec",
      "+noall",
      "+answer",
      "+tries=1",
      "+time=2",
      name,
      type,
    ],
    { encoding: "utf8" },
  );
  return out
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split(/\s+/))
    .filter(([, , , t]) => t === type)
    .map(([n, ttl, , t, ...rest]) => [n ?? "", ttl ?? "", t ?? "", rest.join(" ")]);
}

async function serial(): Promise<number> {
  const soa = (await queryAuthoritative(server, topology.zone, "SOA")).answers.find((a) => a.type === "SOA");
  if (soa?.type !== "SOA") throw new Error("no SOA");
  return soa.soa.serial;
}

/** A hand-built step context; the step asks only for `dns`, the erased type wants every adapter. */
function context(adapters: { dns: DnsZones }, t = targets): StepContext {
  return {
    runId: "test-run",
    stepId: "repoint",
    attempt: 1,
    dryRun: false,
    logger: new MemoryLogger(),
    signal: new AbortController().signal,
    clock: systemClock,
    targets: t,
    scope: { params: {}, steps: {}, run: { id: "test-run", dryRun: false, runbook: "test" } },
    adapters: adapters as StepContext["adapters"],
  };
}

/** Validates the input as the engine would; the zod issues' messages when it is refused. */
function input(raw: unknown, t = targets): unknown {
  const parsed = dnsRepointStep.input(t).safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}

async function plan(raw: unknown, adapters = { dns: zones }): Promise<StepPlan> {
  return dnsRepointStep.plan(context(adapters), input(raw));
}

/** plan → apply → verify through the step contract, as the engine drives a real run. */
async function repoint(
  raw: unknown,
  adapters = { dns: zones },
): Promise<{ plan: StepPlan; before: JsonValue; verified: JsonObject | void }> {
  const ctx = context(adapters);
  const i = input(raw);
  const p = await dnsRepointStep.plan(ctx, i);
  const before = await dnsRepointStep.apply(ctx, p, i);
  const verified = await dnsRepointStep.verify(ctx, i, p);
  return { plan: p, before, verified };
}

async function failure(p: Promise<unknown>): Promise<SwitchoverError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SwitchoverError);
  return err as SwitchoverError;
}

function withZone(name: string, zone: DnsZoneConfig): Config {
  return { ...config, dns: { ...config.dns, [name]: zone } };
}

function engineFor(adapters: { dns: DnsZones }): {
  engine: RunEngine;
  runbook: (yaml: string) => ReturnType<typeof parseRunbookOrThrow>;
} {
  const registry = createStepRegistry([dnsRepointStep]);
  let n = 0;
  const engine = new RunEngine({
    store: new MemoryRunStore(),
    clock: systemClock,
    audit: new MemoryAuditSink(),
    logger: new MemoryLogger(),
    catalog: registry,
    targets,
    adapters,
    newId: () => `dns-run-${++n}`,
  });
  return { engine, runbook: (yaml) => parseRunbookOrThrow(yaml, { catalog: registry, targets }) };
}

beforeAll(() => {
  config = sandboxConfig();
  targets = targetsFromConfig(config);
  zones = createDnsZones(config.dns);
  const zone = config.dns.sandbox;
  if (zone?.provider !== "rfc2136") throw new Error("the sandbox environment has no rfc2136 zone 'sandbox'");
  const key = TsigKey.fromSecret(zone.tsig.name, zone.tsig.algorithm, resolveSecret(zone.tsig.secret));
  client = new Rfc2136Client({ server, zone: zone.zone, key });
});

afterAll(async () => {
  for (const name of created) await client.update({ updates: [{ kind: "delete-name", name }] });
});

describe("dns.repoint over RFC 2136 against the sandbox BIND", () => {
  it("when kafka-primary is repointed to dc2 by a real run, then dig and Node's resolver answer dc2; its revert restores dc1 and the TTL", async () => {
    const original = dig(topology.record, "CNAME");
    expect(original).toEqual([
      [`${topology.record}.`, String(topology.ttl), "CNAME", `${topology.initialTarget}.`],
    ]);
    const { engine, runbook } = engineFor({ dns: zones });
    const rb = runbook(`apiVersion: switchover/v1
kind: Runbook
metadata: { name: dns-failover }
steps:
  - id: repoint
    uses: dns.repoint
    with: { zone: sandbox, name: ${topology.record}, type: CNAME, value: dc2-kafka.dr.test }
`);
    try {
      const dry = await engine.execute((await engine.createRun({ runbook: rb })).id);
      expect(dry.state).toBe("succeeded");
      expect(dry.steps[0]!.plan!.changes).toEqual([
        {
          resource: "kafka-primary.dr.test CNAME",
          field: "record",
          from: "dc1-kafka.dr.test (30)",
          to: "dc2-kafka.dr.test (30)",
        },
      ]);
      expect(dry.steps[0]!.plan!.outputs.summary).toBe(
        "kafka-primary.dr.test CNAME: dc1-kafka.dr.test (30) → dc2-kafka.dr.test (30)",
      );
      expect(dig(topology.record, "CNAME")).toEqual(original); // a dry-run changes nothing

      const real = await engine.execute((await engine.createRun({ runbook: rb, dryRun: false })).id);
      expect(real.state, JSON.stringify(real.error ?? real.steps[0]?.error)).toBe("succeeded");
      expect(dig(topology.record, "CNAME")).toEqual([
        [`${topology.record}.`, "30", "CNAME", "dc2-kafka.dr.test."],
      ]);
      const resolver = new Resolver({ timeout: 2_000, tries: 1 });
      resolver.setServers([server]);
      expect(await resolver.resolveCname(topology.record)).toEqual(["dc2-kafka.dr.test"]);
      expect(real.steps[0]!.outputs).toMatchObject({
        authoritativeServers: [server],
        waitedForOldTtl: false,
      });

      const revert = await engine.createRevert(real.id, { dryRun: false });
      expect(revert.runbook.steps[0]!.with).toMatchObject({ value: ["dc1-kafka.dr.test"], ttl: 30 });
      const reverted = await engine.execute(revert.id);
      expect(reverted.state, JSON.stringify(reverted.steps[0]?.error)).toBe("succeeded");
      expect(dig(topology.record, "CNAME")).toEqual(original);
      expect(await resolver.resolveCname(topology.record)).toEqual([topology.initialTarget]);
    } finally {
      // Whatever happened above, kafka-primary goes back exactly as the sandbox has it.
      await client.update({
        updates: [
          { kind: "delete-rrset", name: topology.record, type: "CNAME" },
          {
            kind: "add",
            name: topology.record,
            type: "CNAME",
            ttl: topology.ttl,
            value: topology.initialTarget,
          },
        ],
      });
    }
  });

  it("when the same plan is applied twice, then the second apply sends nothing (zone serial unchanged) and a new plan is empty", async () => {
    const name = uniqueName("twice");
    await client.update({ updates: [{ kind: "add", name, type: "A", ttl: 60, value: "192.0.2.1" }] });
    const raw = { zone: "sandbox", name, type: "A", value: "192.0.2.2" };
    const first = await repoint(raw);
    expect(first.plan.outputs.summary).toBe(`${name} A: 192.0.2.1 (60) → 192.0.2.2 (60)`);
    expect(first.before).toEqual({ name, type: "A", ttl: 60, values: ["192.0.2.1"] });
    const s = await serial();
    const ctx = context({ dns: zones });
    expect(await dnsRepointStep.apply(ctx, first.plan, input(raw))).toEqual(first.before);
    await dnsRepointStep.verify(ctx, input(raw), first.plan);
    expect(await serial()).toBe(s);
    expect((await plan(raw)).changes).toEqual([]);
    expect(dig(name, "A")).toEqual([[`${name}.`, "60", "A", "192.0.2.2"]]);
  });

  it("when a multi-value A record is repointed and reverted through the engine, then the exact old values and TTL come back", async () => {
    const name = uniqueName("revert");
    await client.update({
      updates: [
        { kind: "add", name, type: "A", ttl: 120, value: "192.0.2.10" },
        { kind: "add", name, type: "A", ttl: 120, value: "192.0.2.11" },
      ],
    });
    const { engine, runbook } = engineFor({ dns: zones });
    const rb = runbook(`apiVersion: switchover/v1
kind: Runbook
metadata: { name: dns-revert }
steps:
  - id: a
    uses: dns.repoint
    with: { zone: sandbox, name: ${name}, type: A, value: 198.51.100.7, ttl: 15 }
`);
    const real = await engine.execute((await engine.createRun({ runbook: rb, dryRun: false })).id);
    expect(real.state, JSON.stringify(real.steps[0]?.error)).toBe("succeeded");
    expect(dig(name, "A")).toEqual([[`${name}.`, "15", "A", "198.51.100.7"]]);
    const reverted = await engine.execute((await engine.createRevert(real.id, { dryRun: false })).id);
    expect(reverted.state, JSON.stringify(reverted.steps[0]?.error)).toBe("succeeded");
    expect(dig(name, "A").sort()).toEqual([
      [`${name}.`, "120", "A", "192.0.2.10"],
      [`${name}.`, "120", "A", "192.0.2.11"],
    ]);
  });

  it("when a record that did not exist is created and reverted, then it is gone again (NXDOMAIN)", async () => {
    const name = uniqueName("created");
    const { engine, runbook } = engineFor({ dns: zones });
    const rb = runbook(`apiVersion: switchover/v1
kind: Runbook
metadata: { name: dns-create }
steps:
  - id: v6
    uses: dns.repoint
    with: { zone: sandbox, name: ${name}, type: AAAA, value: "2001:DB8::7", ttl: 20 }
`);
    const real = await engine.execute((await engine.createRun({ runbook: rb, dryRun: false })).id);
    expect(real.state, JSON.stringify(real.steps[0]?.error)).toBe("succeeded");
    expect(real.steps[0]!.plan!.changes[0]).toMatchObject({ from: null, to: "2001:db8::7 (20)" });
    // Resolvers may have cached "no such record" for the zone's negative TTL: min(SOA TTL, MINIMUM).
    const soa = (await queryAuthoritative(server, topology.zone, "SOA")).answers.find(
      (a) => a.type === "SOA",
    );
    expect(real.steps[0]!.plan!.outputs.oldTtl).toBe(
      soa?.type === "SOA" ? Math.min(soa.ttl, soa.soa.minimum) : -1,
    );
    expect(dig(name, "AAAA")).toEqual([[`${name}.`, "20", "AAAA", "2001:db8::7"]]);
    const reverted = await engine.execute((await engine.createRevert(real.id, { dryRun: false })).id);
    expect(reverted.state, JSON.stringify(reverted.steps[0]?.error)).toBe("succeeded");
    expect(await queryAuthoritative(server, name, "AAAA")).toMatchObject({ rcode: "NXDOMAIN", answers: [] });
  });

  it("when only the TTL is lowered with waitForOldTtl, then the value stays, the TTL drops, and verify waits out the old TTL", async () => {
    const name = uniqueName("ttl");
    await client.update({
      updates: [{ kind: "add", name, type: "CNAME", ttl: 3, value: "dc1-kafka.dr.test" }],
    });
    const started = Date.now();
    const done = await repoint({ zone: "sandbox", name, type: "CNAME", ttl: 1, waitForOldTtl: true });
    expect(done.plan.outputs.summary).toBe(`${name} CNAME: dc1-kafka.dr.test (3) → dc1-kafka.dr.test (1)`);
    expect(done.plan.outputs.oldTtl).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    const by = Date.parse((done.verified as { resolversConsistentBy: string }).resolversConsistentBy);
    expect(by).toBeLessThanOrEqual(Date.now());
    expect(by).toBeGreaterThanOrEqual(started + 3_000);
    expect(dig(name, "CNAME")).toEqual([[`${name}.`, "1", "CNAME", "dc1-kafka.dr.test."]]);
  });

  it("when the record changes between plan and apply, then apply refuses with CONFLICT and the other change stands", async () => {
    const name = uniqueName("race");
    await client.update({ updates: [{ kind: "add", name, type: "A", ttl: 60, value: "192.0.2.50" }] });
    const raw = { zone: "sandbox", name, type: "A", value: "192.0.2.51" };
    const p = await plan(raw);
    await client.update({
      updates: [
        { kind: "delete-rrset", name, type: "A" },
        { kind: "add", name, type: "A", ttl: 60, value: "192.0.2.99" },
      ],
    });
    const err = await failure(dnsRepointStep.apply(context({ dns: zones }), p, input(raw)));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toBe(
      `${name} A changed since it was planned: planned from 192.0.2.50 (60), now 192.0.2.99 (60); nothing was changed`,
    );
    expect(dig(name, "A")).toEqual([[`${name}.`, "60", "A", "192.0.2.99"]]);

    // The server-side check: an update conditional on a stale value is refused atomically (NXRRSET).
    const provider = zones.zone("sandbox");
    const stale = { name, type: "A" as const, ttl: 60, values: ["192.0.2.50"] };
    const desired = { name, type: "A" as const, ttl: 60, values: ["192.0.2.51"] };
    const raced = await provider.replace(stale, desired, name, "A", new AbortController().signal).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(raced).toBeInstanceOf(DnsError);
    expect([(raced as DnsError).code, (raced as DnsError).kind]).toEqual(["NXRRSET", "prerequisite"]);
    expect(dig(name, "A")).toEqual([[`${name}.`, "60", "A", "192.0.2.99"]]);
  });

  it("when the TSIG secret is wrong, then apply fails fast with FORBIDDEN (BADSIG), not a timeout, and nothing changes", async () => {
    const name = uniqueName("badkey");
    await client.update({ updates: [{ kind: "add", name, type: "A", ttl: 60, value: "192.0.2.60" }] });
    const sandbox = config.dns.sandbox!;
    if (sandbox.provider !== "rfc2136") throw new Error("unexpected provider");
    const env = { SO_WRONG_TSIG: randomBytes(32).toString("base64") };
    const wrong = createDnsZones(
      withZone("sandbox", { ...sandbox, tsig: { ...sandbox.tsig, secret: { env: "SO_WRONG_TSIG" } } }).dns,
      { env },
    );
    const raw = { zone: "sandbox", name, type: "A", value: "192.0.2.61" };
    const ctx = context({ dns: wrong });
    const p = await dnsRepointStep.plan(ctx, input(raw)); // reads need no key
    const started = Date.now();
    const err = await failure(dnsRepointStep.apply(ctx, p, input(raw)));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect([err.code, err.retryable, err.details.dnsCode, err.details.origin]).toEqual([
      "FORBIDDEN",
      false,
      "TSIG_BADSIG",
      "server",
    ]);
    expect(`${err.message} ${JSON.stringify(err.details)}`).not.toContain(env.SO_WRONG_TSIG);
    expect(dig(name, "A")).toEqual([[`${name}.`, "60", "A", "192.0.2.60"]]);
  });
});

describe("dns.repoint bad input: precise errors, nothing changed", () => {
  it("when the zone is not configured, then validation names it and lists the configured zones", () => {
    expect(() => input({ zone: "nope", name: `x.${topology.zone}`, type: "A", value: "192.0.2.1" })).toThrow(
      'unknown dns zone "nope" (configured: sandbox)',
    );
  });

  it("when an address is malformed or the type unsupported, then validation says which and why", () => {
    const base = { zone: "sandbox", name: `x.${topology.zone}` };
    expect(() => input({ ...base, type: "A", value: "300.1.2.3" })).toThrow(
      '"300.1.2.3" is not an IPv4 address (A record)',
    );
    expect(() => input({ ...base, type: "AAAA", value: "2001:db8::g" })).toThrow(
      '"2001:db8::g" is not an IPv6 address (AAAA record)',
    );
    expect(() => input({ ...base, type: "A", value: ["192.0.2.1", "192.0.2"] })).toThrow(
      '"192.0.2" is not an IPv4 address (A record)',
    );
    expect(() => input({ ...base, type: "CNAME", value: "bad name!.test" })).toThrow(
      'CNAME target "bad name!.test" is not a valid domain name',
    );
    expect(() => input({ ...base, type: "MX", value: "mail.dr.test" })).toThrow("expected A, AAAA or CNAME");
    expect(() => input({ ...base, type: "A" })).toThrow("set value, ttl (TTL only), or absent: true");
  });

  it("when the record is outside the zone, then plan fails with VALIDATION before anything is sent", async () => {
    const s = await serial();
    const err = await failure(
      plan({ zone: "sandbox", name: "kafka-primary.example.com", type: "CNAME", value: "x.dr.test" }),
    );
    expect([err.code, err.message]).toEqual([
      "VALIDATION",
      "kafka-primary.example.com is outside zone dr.test",
    ]);
    expect(await serial()).toBe(s);
  });

  it("when the server is unreachable, then plan fails with a retryable UPSTREAM_UNAVAILABLE naming it, quickly", async () => {
    const sandbox = config.dns.sandbox!;
    if (sandbox.provider !== "rfc2136") throw new Error("unexpected provider");
    const down = createDnsZones(
      withZone("sandbox", { ...sandbox, servers: ["127.0.0.1:1"], timeoutMs: 2_000 }).dns,
    );
    const started = Date.now();
    const err = await failure(
      plan(
        { zone: "sandbox", name: topology.record, type: "CNAME", value: "dc2-kafka.dr.test" },
        { dns: down },
      ),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(err.retryable).toBe(true);
    expect(err.message).toContain("127.0.0.1:1");
    expect(dig(topology.record, "CNAME")[0]?.[3]).toBe(`${topology.initialTarget}.`);
  });

  it("when a CNAME would join an existing A record, then plan refuses with CONFLICT instead of a silently ignored add", async () => {
    const name = uniqueName("clash");
    await client.update({ updates: [{ kind: "add", name, type: "A", ttl: 60, value: "192.0.2.70" }] });
    const err = await failure(
      plan({ zone: "sandbox", name, type: "CNAME", value: "dc2-kafka.dr.test", ttl: 30 }),
    );
    expect([err.code, err.message]).toEqual([
      "CONFLICT",
      `${name} already has A 192.0.2.70 (60); a CNAME cannot share its name with other records (repoint the A record, or remove it first with absent: true)`,
    ]);
  });

  it("when a TTL-only change targets a record that does not exist, then plan says so (NOT_FOUND)", async () => {
    const name = uniqueName("missing");
    const err = await failure(plan({ zone: "sandbox", name, type: "A", ttl: 5 }));
    expect([err.code, err.message]).toEqual([
      "NOT_FOUND",
      `${name} A does not exist; a TTL-only change needs an existing record (give value too)`,
    ]);
  });
});
