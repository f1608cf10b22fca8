// Authoritative query unit tests against an in-process fake UDP/TCP server: AA required, TC falls
// back to TCP, NXDOMAIN is a result, other RCODEs are errors.
import { createSocket } from "node:dgram";
import type { Socket } from "node:dgram";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import dnsPacket from "dns-packet";
import type { Answer } from "dns-packet";
import { afterEach, describe, expect, it } from "vitest";
import { queryAuthoritative } from "./query.js";

interface Reply {
  aa?: boolean;
  tc?: boolean;
  rcode?: number;
  answers?: Answer[];
}

const open: (Socket | Server)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

function encodeReply(query: Buffer, r: Reply): Buffer {
  const q = dnsPacket.decode(query);
  const flags = 0x8000 | (r.aa === false ? 0 : 0x0400) | (r.tc ? 0x0200 : 0) | (r.rcode ?? 0);
  return dnsPacket.encode({
    type: "response",
    id: q.id,
    flags,
    questions: q.questions,
    answers: r.answers ?? [],
  });
}

/** UDP and TCP on the same port; `udp`/`tcp` decide each transport's reply. */
async function fake(udp: Reply, tcp: Reply = udp): Promise<string> {
  const tcpServer = createServer((socket) => {
    socket.on("data", (chunk: Buffer) => {
      const reply = encodeReply(chunk.subarray(2), tcp);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(reply.length);
      socket.end(Buffer.concat([len, reply]));
    });
  });
  await new Promise<void>((r) => tcpServer.listen(0, "127.0.0.1", r));
  const port = (tcpServer.address() as AddressInfo).port;
  const udpServer = createSocket("udp4");
  udpServer.on("message", (msg, rinfo) => udpServer.send(encodeReply(msg, udp), rinfo.port, rinfo.address));
  await new Promise<void>((r) => udpServer.bind(port, "127.0.0.1", r));
  open.push(tcpServer, udpServer);
  return `127.0.0.1:${port}`;
}

const cname: Answer = {
  type: "CNAME",
  name: "kafka-primary.dr.test",
  ttl: 30,
  class: "IN",
  data: "dc1-kafka.dr.test",
};
const a: Answer = { type: "A", name: "dc1-kafka.dr.test", ttl: 300, class: "IN", data: "127.0.0.1" };

describe("queryAuthoritative", () => {
  it("when the server answers with AA, then records come back with their TTLs", async () => {
    const server = await fake({ answers: [cname, a] });
    const res = await queryAuthoritative(server, "Kafka-Primary.dr.test.", "A");
    expect(res).toMatchObject({ rcode: "NOERROR", authoritative: true, name: "kafka-primary.dr.test" });
    expect(res.answers).toEqual([
      { name: "kafka-primary.dr.test", type: "CNAME", ttl: 30, value: "dc1-kafka.dr.test" },
      { name: "dc1-kafka.dr.test", type: "A", ttl: 300, value: "127.0.0.1" },
    ]);
  });

  it("when the answer lacks AA (a cache answered), then NOT_AUTHORITATIVE unless allowed", async () => {
    const server = await fake({ aa: false, answers: [a] });
    await expect(queryAuthoritative(server, "dc1-kafka.dr.test", "A")).rejects.toMatchObject({
      code: "NOT_AUTHORITATIVE",
    });
    await expect(
      queryAuthoritative(server, "dc1-kafka.dr.test", "A", { requireAuthoritative: false }),
    ).resolves.toMatchObject({
      authoritative: false,
    });
  });

  it("when the UDP answer is truncated, then the query is repeated over TCP", async () => {
    const server = await fake({ tc: true }, { answers: [a] });
    const res = await queryAuthoritative(server, "dc1-kafka.dr.test", "A");
    expect(res.answers.map((x) => x.value)).toEqual(["127.0.0.1"]);
  });

  it("when the name does not exist, then an NXDOMAIN result, not an error", async () => {
    const server = await fake({ rcode: 3 });
    await expect(queryAuthoritative(server, "nope.dr.test", "CNAME")).resolves.toMatchObject({
      rcode: "NXDOMAIN",
      answers: [],
    });
  });

  it("when the server refuses, then REFUSED", async () => {
    const server = await fake({ rcode: 5, aa: false });
    await expect(queryAuthoritative(server, "x.other.test", "A")).rejects.toMatchObject({ code: "REFUSED" });
  });

  it("when the SOA is asked, then its fields are decoded", async () => {
    const soa: Answer = {
      type: "SOA",
      name: "dr.test",
      ttl: 300,
      class: "IN",
      data: {
        mname: "ns.dr.test",
        rname: "hostmaster.dr.test",
        serial: 7,
        refresh: 60,
        retry: 30,
        expire: 604800,
        minimum: 30,
      },
    };
    const server = await fake({ answers: [soa] });
    const res = await queryAuthoritative(server, "dr.test", "SOA");
    expect(res.answers[0]).toMatchObject({
      type: "SOA",
      soa: { serial: 7, mname: "ns.dr.test", minimum: 30 },
    });
  });
});
