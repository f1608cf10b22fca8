// RFC 2136 + TSIG against the sandbox's real BIND: a signed update repoints kafka-primary and is read
// back from the server (our query, Node's resolver, dig); wrong keys and failed prerequisites change nothing.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { Resolver } from "node:dns/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindComponent, bindFiles } from "../../sandbox/components/bind.js";
import { SandboxError } from "../../sandbox/components/types.js";
import { dns } from "../../sandbox/topology.js";
import { resolveSecret } from "../../src/config/secret.js";
import { DnsError } from "../../src/dns/errors.js";
import { queryAuthoritative } from "../../src/adapters/dns/query.js";
import type { AnswerRecord, QueryType } from "../../src/adapters/dns/query.js";
import { replaceRecordRequest, Rfc2136Client } from "../../src/adapters/dns/rfc2136.js";
import { TsigKey } from "../../src/adapters/dns/tsig.js";
import { sandboxPaths } from "../../sandbox/lib/paths.js";

const root = join(import.meta.dirname, "..", "..");
const paths = sandboxPaths(root);
const server = `127.0.0.1:${dns.port}`;

let key: TsigKey;
let client: Rfc2136Client;
let original: AnswerRecord | undefined;

function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}.${dns.zone}`;
}

async function answers(name: string, type: QueryType): Promise<AnswerRecord[]> {
  return (await queryAuthoritative(server, name, type, { timeoutMs: 2_000 })).answers.filter(
    (a) => a.type === type,
  );
}

/** `dig @server -p port +norec` answer lines as [name, ttl, type, value]. */
function dig(name: string, type: QueryType): string[][] {
  const out = execFileSync(
    "dig",
    ["@127.0.0.1", "-p", String(dns.port), "+norec", "+noall", "+answer", "+tries=1", "+time=2", name, type],
    { encoding: "utf8" },
  );
  return out
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split(/\s+/))
    .map(([n, ttl, , t, ...rest]) => [n ?? "", ttl ?? "", t ?? "", rest.join(" ")]);
}

async function rejection(p: Promise<unknown>): Promise<DnsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DnsError);
  return err as DnsError;
}

beforeAll(async () => {
  if (!(await bindComponent.status(paths)).healthy) await bindComponent.start(paths, { timeoutMs: 30_000 });
  const files = bindFiles(paths);
  key = TsigKey.fromSecret(dns.keyName, "hmac-sha256", resolveSecret({ file: files.secretFile }));
  client = new Rfc2136Client({ server, zone: dns.zone, key, timeoutMs: 5_000 });
  original = (await answers(dns.record, "CNAME"))[0];
});

afterAll(async () => {
  // Put kafka-primary back exactly as found (target and TTL), whatever the tests did.
  const value = original?.value ?? dns.initialTarget;
  const ttl = original?.ttl ?? dns.ttl;
  await client.update(replaceRecordRequest({ name: dns.record, type: "CNAME", ttl, value }));
  expect(await answers(dns.record, "CNAME")).toEqual([{ name: dns.record, type: "CNAME", ttl, value }]);
});

describe("RFC 2136 + TSIG against the sandbox BIND", () => {
  it("when a signed, conditional update repoints kafka-primary to dc2, then the server answers dc2", async () => {
    expect(original, "kafka-primary.dr.test has a CNAME in the sandbox zone").toBeDefined();
    const from = original!.value;
    await client.update(
      replaceRecordRequest({
        name: dns.record,
        type: "CNAME",
        ttl: dns.ttl,
        value: "dc2-kafka.dr.test",
        expected: [from],
      }),
    );

    expect(await answers(dns.record, "CNAME")).toEqual([
      { name: dns.record, type: "CNAME", ttl: dns.ttl, value: "dc2-kafka.dr.test" },
    ]);
    expect(dig(dns.record, "CNAME")).toEqual([
      [`${dns.record}.`, String(dns.ttl), "CNAME", "dc2-kafka.dr.test."],
    ]);
    const resolver = new Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([server]);
    expect(await resolver.resolveCname(dns.record)).toEqual(["dc2-kafka.dr.test"]);

    // Applying the same conditional update again now fails its prerequisite: nothing changes.
    const again = await rejection(
      client.update(
        replaceRecordRequest({
          name: dns.record,
          type: "CNAME",
          ttl: dns.ttl,
          value: "dc2-kafka.dr.test",
          expected: [from],
        }),
      ),
    );
    expect(again.code).toBe("NXRRSET");
    expect(dig(dns.record, "CNAME")[0]?.[3]).toBe("dc2-kafka.dr.test.");
  });

  it("when the key's secret is wrong, then the server refuses with BADSIG and nothing changes", async () => {
    const name = uniqueName("badsig");
    const wrongSecret = randomBytes(32).toString("base64");
    const wrong = new Rfc2136Client({
      server,
      zone: dns.zone,
      key: TsigKey.fromSecret(dns.keyName, "hmac-sha256", wrongSecret),
      timeoutMs: 5_000,
    });
    const started = Date.now();
    const err = await rejection(
      wrong.update({ updates: [{ kind: "add", name, type: "A", ttl: 60, value: "192.0.2.10" }] }),
    );
    expect(Date.now() - started).toBeLessThan(4_000); // an auth error, not a timeout
    expect([err.code, err.kind, err.details.origin]).toEqual(["TSIG_BADSIG", "auth", "server"]);
    expect(`${err.message} ${JSON.stringify(err.details)}`).not.toContain(wrongSecret);
    expect(await queryAuthoritative(server, name, "A")).toMatchObject({ rcode: "NXDOMAIN", answers: [] });
    expect(dig(name, "A")).toEqual([]);
  });

  it("when the key name is unknown to the server, then BADKEY and nothing changes", async () => {
    const name = uniqueName("badkey");
    const secret = resolveSecret({ file: bindFiles(paths).secretFile });
    const stranger = new Rfc2136Client({
      server,
      zone: dns.zone,
      key: TsigKey.fromSecret("not-a-key-bind-knows", "hmac-sha256", secret),
    });
    const err = await rejection(
      stranger.update({ updates: [{ kind: "add", name, type: "A", ttl: 60, value: "192.0.2.11" }] }),
    );
    expect(err.code).toBe("TSIG_BADKEY");
    expect(await answers(name, "A")).toEqual([]);
  });

  it("when a value-dependent prerequisite does not match, then NXRRSET and the record keeps its value", async () => {
    const name = uniqueName("prereq");
    await client.update({
      prerequisites: [{ kind: "name-not-in-use", name }],
      updates: [{ kind: "add", name, type: "A", ttl: 120, value: "192.0.2.20" }],
    });
    try {
      expect(await answers(name, "A")).toEqual([{ name, type: "A", ttl: 120, value: "192.0.2.20" }]);
      const err = await rejection(
        client.update(
          replaceRecordRequest({ name, type: "A", ttl: 60, value: "192.0.2.21", expected: ["192.0.2.99"] }),
        ),
      );
      expect([err.code, err.kind, err.retryable]).toEqual(["NXRRSET", "prerequisite", false]);
      expect(await answers(name, "A")).toEqual([{ name, type: "A", ttl: 120, value: "192.0.2.20" }]);

      // "RRset must not exist" while it does: YXRRSET, and the delete in the same message is not applied.
      const yx = await rejection(
        client.update({
          prerequisites: [{ kind: "rrset-absent", name, type: "A" }],
          updates: [{ kind: "delete-name", name }],
        }),
      );
      expect(yx.code).toBe("YXRRSET");
      expect(dig(name, "A")).toEqual([[`${name}.`, "120", "A", "192.0.2.20"]]);
    } finally {
      await client.update({ updates: [{ kind: "delete-name", name }] });
    }
    expect(await queryAuthoritative(server, name, "A")).toMatchObject({ rcode: "NXDOMAIN" });
  });

  it("when AAAA and A records are replaced with TTLs, then the server returns exactly them", async () => {
    const name = uniqueName("v6");
    try {
      await client.update({
        updates: [
          { kind: "add", name, type: "AAAA", ttl: 45, value: "2001:db8::10" },
          { kind: "add", name, type: "A", ttl: 45, value: "192.0.2.30" },
        ],
      });
      await client.update(
        replaceRecordRequest({
          name,
          type: "AAAA",
          ttl: 90,
          value: "2001:db8::11",
          expected: ["2001:0db8::10"],
        }),
      );
      expect(await answers(name, "AAAA")).toEqual([{ name, type: "AAAA", ttl: 90, value: "2001:db8::11" }]);
      expect(await answers(name, "A")).toEqual([{ name, type: "A", ttl: 45, value: "192.0.2.30" }]);
    } finally {
      await client.update({ updates: [{ kind: "delete-name", name }] });
    }
  });

  it("when the update goes over UDP instead of TCP, then it is applied and its signed answer verified", async () => {
    const name = uniqueName("udp");
    const overUdp = new Rfc2136Client({ server, zone: dns.zone, key, transport: "udp", timeoutMs: 5_000 });
    try {
      await overUdp.update({
        updates: [{ kind: "add", name, type: "CNAME", ttl: 15, value: "dc1-kafka.dr.test" }],
      });
      expect(dig(name, "CNAME")).toEqual([[`${name}.`, "15", "CNAME", "dc1-kafka.dr.test."]]);
    } finally {
      await overUdp.update({ updates: [{ kind: "delete-name", name }] });
    }
  });

  it("when the zone is not served by the server, then NOTAUTH (an auth error), not a timeout", async () => {
    const other = new Rfc2136Client({ server, zone: "not-served.test", key });
    const err = await rejection(
      other.update({
        updates: [{ kind: "add", name: "x.not-served.test", type: "A", ttl: 60, value: "192.0.2.40" }],
      }),
    );
    expect(err.code).toBe("NOTAUTH");
  });
});

describe("bind sandbox component", () => {
  it("when running, then status reports pid, health, endpoint, RSS and log; the secret file is 0600", async () => {
    const st = await bindComponent.status(paths);
    expect(st).toMatchObject({ id: "bind", healthy: true, endpoints: [server] });
    expect(st.pid).toBeGreaterThan(0);
    expect(st.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(st.log).toBe(join(paths.state, "logs", "bind.log"));
    expect(statSync(bindFiles(paths).secretFile).mode & 0o777).toBe(0o600);
    // Idempotent: a second start returns the same process.
    expect((await bindComponent.start(paths, { timeoutMs: 5_000 })).pid).toBe(st.pid);
  });

  it("when another process holds the port, then start fails with one line naming port and fix, writing no zone", async () => {
    const state = mkdtempSync(join(tmpdir(), "switchover-bind-"));
    try {
      const other = { root, state, cache: join(state, "cache") };
      const err = await bindComponent.start(other, { timeoutMs: 5_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SandboxError);
      const line = (err as SandboxError).line();
      expect(line).toMatch(new RegExp(`^bind: port ${dns.port} on 127\\.0\\.0\\.1 is already in use`));
      expect(line).toContain("fix: ");
      expect(existsSync(join(state, "bind"))).toBe(false);
      expect((await bindComponent.status(other)).healthy).toBe(false);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});
