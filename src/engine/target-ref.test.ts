// Target references and the URL allow-list: the helpers every step uses to name configured things.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { allowedUrl, clusterRef, consumerFleetRef, dnsZoneRef, isAllowedUrl } from "./target-ref.js";
import { emptyTargets } from "./target-catalog.js";
import type { TargetCatalog } from "./target-catalog.js";

const targets: TargetCatalog = {
  clusters: ["dc1", "dc2"],
  dnsZones: ["primary"],
  consumerFleets: ["orders"],
  replicationFlows: [],
  connectWorkers: [],
  httpAllow: ["https://hooks.example.com/switchover/", "http://127.0.0.1:9000"],
  secrets: [],
};

const messages = (schema: z.ZodType, value: unknown): string[] => {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("target references", () => {
  const input = z.strictObject({
    cluster: clusterRef(targets),
    zone: dnsZoneRef(targets),
    fleet: consumerFleetRef(targets),
  });

  it("accepts configured names and names the known ones when rejecting", () => {
    expect(messages(input, { cluster: "dc2", zone: "primary", fleet: "orders" })).toEqual([]);
    expect(messages(input, { cluster: "dc3", zone: "secondary", fleet: "payments" })).toEqual([
      'cluster: unknown cluster "dc3" (configured: dc1, dc2)',
      'zone: unknown dns zone "secondary" (configured: primary)',
      'fleet: unknown consumer fleet "payments" (configured: orders)',
    ]);
    expect(messages(clusterRef(emptyTargets), "dc1")).toEqual([': unknown cluster "dc1" (configured: none)']);
    expect(messages(clusterRef(targets), 7)).toEqual([": Invalid input: expected string, received number"]);
  });
});

describe("URL allow-list", () => {
  it.each([
    ["https://hooks.example.com/switchover/notify", true],
    ["https://hooks.example.com/switchover/", true],
    ["http://127.0.0.1:9000/anything?x=1", true],
    ["http://127.0.0.1:9000", true],
    ["https://hooks.example.com/switchover-evil/x", false],
    ["https://hooks.example.com/switchover/../admin", false],
    ["https://hooks.example.com/switchover/%2e%2e/admin", false],
    ["https://hooks.example.com.evil.org/switchover/x", false],
    ["https://user:pw@hooks.example.com/switchover/x", false],
    ["http://127.0.0.1:90001/x", false],
    ["http://127.0.0.1:9001/x", false],
    ["file:///etc/passwd", false],
    ["not a url", false],
  ])("%s → %s", (url, allowed) => {
    expect(isAllowedUrl(targets, url)).toBe(allowed);
    expect(messages(allowedUrl(targets), url).length === 0).toBe(allowed);
  });
});
