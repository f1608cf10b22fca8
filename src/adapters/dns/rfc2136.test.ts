// RFC 2136 unit tests: the UPDATE wire layout (class NONE/ANY, empty RDATA), input checks before
// anything is sent, and the client against an in-process fake server that signs (or forges) answers.
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DnsError, RCODE, rcodeError } from "../../dns/errors.js";
import { encodeRdata } from "../../dns/record-data.js";
import { buildUpdateMessage, replaceRecordRequest, Rfc2136Client } from "./rfc2136.js";
import type { UpdateRequest } from "./rfc2136.js";
import { readTsigRecord, signMessage, TsigKey, verifyMessage } from "./tsig.js";
import { CLASS, parseMessage, readName, TYPE } from "../../dns/wire.js";

const key = TsigKey.fromSecret("update-key", "hmac-sha256", Buffer.alloc(32, 0x42).toString("base64"));
const forger = TsigKey.fromSecret("update-key", "hmac-sha256", Buffer.alloc(32, 0x43).toString("base64"));

function thrown(fn: () => unknown): DnsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DnsError) return err;
    throw err;
  }
  throw new Error("expected a DnsError");
}

describe("UPDATE message layout", () => {
  const request: UpdateRequest = {
    prerequisites: [
      { kind: "rrset-equals", name: "kafka-primary.dr.test", type: "CNAME", values: ["dc1-kafka.dr.test."] },
      { kind: "rrset-exists", name: "a.dr.test", type: "A" },
      { kind: "rrset-absent", name: "b.dr.test", type: "AAAA" },
      { kind: "name-in-use", name: "c.dr.test" },
      { kind: "name-not-in-use", name: "d.dr.test" },
    ],
    updates: [
      { kind: "delete-rrset", name: "kafka-primary.dr.test", type: "CNAME" },
      { kind: "add", name: "Kafka-Primary.dr.test.", type: "CNAME", ttl: 30, value: "dc2-kafka.dr.test" },
      { kind: "delete-rr", name: "e.dr.test", type: "A", value: "192.0.2.7" },
      { kind: "delete-name", name: "f.dr.test" },
      { kind: "add", name: "g.dr.test", type: "AAAA", ttl: 60, value: "2001:db8::1" },
    ],
  };
  const wire = buildUpdateMessage("dr.test", request, 0x4321);
  const parsed = parseMessage(wire);
  const rr = (i: number) => {
    const r = parsed.records[i]!;
    return [r.section, r.name, r.type, r.class, r.ttl, r.rdata.toString("hex")];
  };

  it("when built, then the header is an UPDATE with ZOCOUNT 1 and the section counts", () => {
    expect(parsed.header).toMatchObject({
      id: 0x4321,
      qr: false,
      opcode: 5,
      qdcount: 1,
      ancount: 5,
      nscount: 5,
      arcount: 0,
    });
    expect(parsed.questions).toEqual([{ name: "dr.test", type: TYPE.SOA, class: CLASS.IN }]);
  });

  it("when built, then prerequisites use the RFC 2136 §2.4 class/type/RDATA encodings", () => {
    const cname = "096463312d6b61666b61026472047465737400"; // dc1-kafka.dr.test., uncompressed
    expect(rr(0)).toEqual(["answer", "kafka-primary.dr.test", TYPE.CNAME, CLASS.IN, 0, cname]);
    expect(rr(1)).toEqual(["answer", "a.dr.test", TYPE.A, CLASS.ANY, 0, ""]);
    expect(rr(2)).toEqual(["answer", "b.dr.test", TYPE.AAAA, CLASS.NONE, 0, ""]);
    expect(rr(3)).toEqual(["answer", "c.dr.test", TYPE.ANY, CLASS.ANY, 0, ""]);
    expect(rr(4)).toEqual(["answer", "d.dr.test", TYPE.ANY, CLASS.NONE, 0, ""]);
  });

  it("when built, then updates use the RFC 2136 §2.5 encodings", () => {
    expect(rr(5)).toEqual(["authority", "kafka-primary.dr.test", TYPE.CNAME, CLASS.ANY, 0, ""]);
    expect(rr(6)).toEqual([
      "authority",
      "kafka-primary.dr.test",
      TYPE.CNAME,
      CLASS.IN,
      30,
      "096463322d6b61666b61026472047465737400",
    ]);
    expect(rr(7)).toEqual(["authority", "e.dr.test", TYPE.A, CLASS.NONE, 0, "c0000207"]);
    expect(rr(8)).toEqual(["authority", "f.dr.test", TYPE.ANY, CLASS.ANY, 0, ""]);
    expect(rr(9)).toEqual([
      "authority",
      "g.dr.test",
      TYPE.AAAA,
      CLASS.IN,
      60,
      "20010db8000000000000000000000001",
    ]);
  });

  it("when a CNAME target is encoded, then it is the uncompressed lowercase wire name", () => {
    expect(encodeRdata("CNAME", "DC2-Kafka.dr.test.").toString("hex")).toBe(
      "096463322d6b61666b610264720474657374" + "00",
    );
    expect(encodeRdata("AAAA", "::ffff:192.0.2.1").toString("hex")).toBe("00000000000000000000ffffc0000201");
  });

  it("when a name is outside the zone, then OUTSIDE_ZONE before anything is built", () => {
    const err = thrown(() =>
      buildUpdateMessage(
        "dr.test",
        { updates: [{ kind: "add", name: "x.other.test", type: "A", ttl: 1, value: "192.0.2.1" }] },
        1,
      ),
    );
    expect(err.code).toBe("OUTSIDE_ZONE");
    expect(err.kind).toBe("input");
    // "notdr.test" merely ends with the zone's text; it is not inside it.
    expect(
      thrown(() =>
        buildUpdateMessage("dr.test", { updates: [{ kind: "delete-name", name: "notdr.test" }] }, 1),
      ).code,
    ).toBe("OUTSIDE_ZONE");
  });

  it.each([
    ["A", "300.1.1.1"],
    ["A", "2001:db8::1"],
    ["AAAA", "192.0.2.1"],
    ["AAAA", "2001:db8::g"],
    ["CNAME", "bad name.dr.test"],
    ["CNAME", "-leading-dash.dr.test"],
    ["CNAME", "."],
  ] as const)("when a %s value is %j, then INVALID_INPUT", (type, value) => {
    const err = thrown(() =>
      buildUpdateMessage(
        "dr.test",
        { updates: [{ kind: "add", name: "x.dr.test", type, ttl: 1, value }] },
        1,
      ),
    );
    expect(err.code).toBe("INVALID_INPUT");
  });

  it("when the TTL is negative, fractional or the update list empty, then INVALID_INPUT", () => {
    for (const ttl of [-1, 1.5, 2 ** 31]) {
      const add = { kind: "add", name: "x.dr.test", type: "A", ttl, value: "192.0.2.1" } as const;
      expect(thrown(() => buildUpdateMessage("dr.test", { updates: [add] }, 1)).code).toBe("INVALID_INPUT");
    }
    expect(thrown(() => buildUpdateMessage("dr.test", { updates: [] }, 1)).code).toBe("INVALID_INPUT");
  });

  it("when deleting every record at the apex is asked, then it is refused locally", () => {
    expect(
      thrown(() => buildUpdateMessage("dr.test", { updates: [{ kind: "delete-name", name: "dr.test" }] }, 1))
        .code,
    ).toBe("INVALID_INPUT");
  });
});

describe("RCODE mapping", () => {
  it.each([
    [RCODE.REFUSED, "REFUSED", "rejected", false],
    [RCODE.NOTAUTH, "NOTAUTH", "auth", false],
    [RCODE.YXRRSET, "YXRRSET", "prerequisite", false],
    [RCODE.NXRRSET, "NXRRSET", "prerequisite", false],
    [RCODE.YXDOMAIN, "YXDOMAIN", "prerequisite", false],
    [RCODE.NXDOMAIN, "NXDOMAIN", "prerequisite", false],
    [RCODE.NOTZONE, "NOTZONE", "input", false],
    [RCODE.FORMERR, "FORMERR", "rejected", false],
    [RCODE.SERVFAIL, "SERVFAIL", "server", true],
    [RCODE.NOTIMP, "NOTIMP", "rejected", false],
    [13, "RCODE_UNKNOWN", "server", true],
  ] as const)(
    "when the server answers RCODE %i, then %s (%s, retryable %s)",
    (rcode, code, kind, retryable) => {
      const err = rcodeError(rcode, { server: "s:53", zone: "dr.test" });
      expect([err.code, err.kind, err.retryable]).toEqual([code, kind, retryable]);
    },
  );
});

type Responder = (request: Buffer, requestMac: Buffer) => Buffer | undefined;

/** A TCP DNS server that frames with the 2-byte length and answers through `respond`. */
async function fakeServer(respond: Responder): Promise<{ server: Server; address: string; seen: Buffer[] }> {
  const seen: Buffer[] = [];
  const server = createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 2 || pending.length < 2 + pending.readUInt16BE(0)) return;
      const request = pending.subarray(2, 2 + pending.readUInt16BE(0));
      seen.push(Buffer.from(request));
      const mac = readTsigRecord(request, { server: "fake" })!.mac;
      const reply = respond(request, mac);
      if (!reply) return; // stay silent: the client must time out
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length);
      socket.write(Buffer.concat([len, reply]));
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** The header and zone section of `request`, turned into a response with `rcode`. */
function replyTo(request: Buffer, rcode: number): Buffer {
  const zoneEnd = readName(request, 12).end + 4;
  const reply = Buffer.concat([request.subarray(0, 12), request.subarray(12, zoneEnd)]);
  reply.writeUInt16BE(0x8000 | (5 << 11) | rcode, 2);
  reply.writeUInt16BE(1, 4);
  reply.fill(0, 6, 12);
  return reply;
}

describe("Rfc2136Client against a fake server", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  const request = replaceRecordRequest({
    name: "kafka-primary.dr.test",
    type: "CNAME",
    ttl: 30,
    value: "dc2-kafka.dr.test",
  });

  async function client(respond: Responder, timeoutMs = 2_000) {
    const fake = await fakeServer(respond);
    servers.push(fake.server);
    return { fake, client: new Rfc2136Client({ server: fake.address, zone: "dr.test", key, timeoutMs }) };
  }

  it("when the server answers NOERROR signed and chained to our MAC, then update resolves", async () => {
    const { client: c, fake } = await client(
      (req, mac) => signMessage(replyTo(req, 0), key, { requestMac: mac }).wire,
    );
    await expect(c.update(request)).resolves.toMatchObject({ zone: "dr.test" });
    // What went out is itself a valid signed request.
    expect(verifyMessage(fake.seen[0]!, key, { server: "fake" }).signed).toBe(true);
  });

  it("when the answer is signed with another secret, then BADSIG even though it says NOERROR", async () => {
    const { client: c } = await client(
      (req, mac) => signMessage(replyTo(req, 0), forger, { requestMac: mac }).wire,
    );
    await expect(c.update(request)).rejects.toMatchObject({ code: "TSIG_BADSIG", kind: "auth" });
  });

  it("when the answer is signed but not chained to our request MAC, then BADSIG", async () => {
    const { client: c } = await client((req) => signMessage(replyTo(req, 0), key).wire);
    await expect(c.update(request)).rejects.toMatchObject({ code: "TSIG_BADSIG" });
  });

  it("when the answer is unsigned NOERROR, then TSIG_UNSIGNED", async () => {
    const { client: c } = await client((req) => replyTo(req, 0));
    await expect(c.update(request)).rejects.toMatchObject({ code: "TSIG_UNSIGNED" });
  });

  it("when the server answers a signed NXRRSET, then a prerequisite error", async () => {
    const { client: c } = await client(
      (req, mac) => signMessage(replyTo(req, RCODE.NXRRSET), key, { requestMac: mac }).wire,
    );
    await expect(c.update(request)).rejects.toMatchObject({
      code: "NXRRSET",
      kind: "prerequisite",
      retryable: false,
    });
  });

  it("when the server answers an unsigned FORMERR, then FORMERR (it could not parse, so could not sign)", async () => {
    const { client: c } = await client((req) => replyTo(req, RCODE.FORMERR));
    await expect(c.update(request)).rejects.toMatchObject({ code: "FORMERR" });
  });

  it("when the server stays silent, then TIMEOUT (retryable) after timeoutMs", async () => {
    const { client: c } = await client(() => undefined, 300);
    const started = Date.now();
    await expect(c.update(request)).rejects.toMatchObject({ code: "TIMEOUT", retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("when the signal aborts, then ABORTED at once", async () => {
    const { client: c } = await client(() => undefined, 10_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(c.update(request, { signal: controller.signal })).rejects.toMatchObject({ code: "ABORTED" });
  });

  it("when nothing listens, then CONNECTION, not a timeout", async () => {
    const fake = await fakeServer(() => undefined);
    const address = fake.address;
    await new Promise((r) => fake.server.close(r));
    const c = new Rfc2136Client({ server: address, zone: "dr.test", key, timeoutMs: 5_000 });
    await expect(c.update(request)).rejects.toMatchObject({ code: "CONNECTION", kind: "transport" });
  });
});
