// TSIG (RFC 8945) unit tests: MACs checked against requests signed by BIND's own dig and against an
// independent computation from the RFC's field layout; tampering, wrong keys, time and chaining.
import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { DnsError, TSIG_ERROR } from "../../dns/errors.js";
import { readTsigRecord, signMessage, TsigKey, verifyMessage } from "./tsig.js";
import { readName } from "../../dns/wire.js";

const SECRET_B64 = "c3dpdGNob3Zlci10c2lnLXRlc3QtdmVjdG9yLWtleS0wMQ=="; // "switchover-tsig-test-vector-key-01"
const ctx = { server: "test-server:53", zone: "dr.test", keyName: "test-key.example" };

/**
 * Captured from `dig -y <alg>:test-key.example:<SECRET_B64> +noedns +nocookie SOA dr.test` (BIND 9.18.49):
 * an SOA query signed by BIND's libdns. Our verifier must accept it and our signer reproduce it byte for byte.
 */
const DIG_VECTORS = {
  "hmac-sha256":
    "bd6d012000010000000000010264720474657374000006000108746573742d6b6579076578616d706c650000fa00ff00000000003d0b686d61632d7368613235360000006b070636012c002049193e38ce847ef46e1c534a04acb0e06d233ede39fff1c4b897fdefcf7f3878bd6d00000000",
  "hmac-sha512":
    "b4ec012000010000000000010264720474657374000006000108746573742d6b6579076578616d706c650000fa00ff00000000005d0b686d61632d7368613531320000006b070636012c0040f65e901f4753936a328e1e03700e695bc207457aff71fed212e5f5d848953b4196041e3966aff4dd925682f042b3369a61ea545ce99fe25a46e0d95323df63b1b4ec00000000",
} as const;
const DIG_TIME = 0x6b070636; // time signed in both vectors

function unsignedPart(wire: Buffer): Buffer {
  const tsig = readTsigRecord(wire, ctx)!;
  const msg = Buffer.from(wire.subarray(0, tsig.start));
  msg.writeUInt16BE(msg.readUInt16BE(10) - 1, 10);
  return msg;
}

/** A small response-shaped message: header (QR, opcode UPDATE) + zone section dr.test SOA IN. */
function sampleMessage(id = 0x1234): Buffer {
  return Buffer.from(
    `${id.toString(16).padStart(4, "0")}a8000001000000000000` + "02647204746573740000060001",
    "hex",
  );
}

async function expectDnsError(fn: () => unknown, code: string): Promise<DnsError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DnsError);
  expect((caught as DnsError).code).toBe(code);
  return caught as DnsError;
}

describe("TSIG against BIND-signed vectors", () => {
  for (const alg of ["hmac-sha256", "hmac-sha512"] as const) {
    it(`when dig signs with ${alg}, then we verify it and re-sign it to the same bytes`, () => {
      const wire = Buffer.from(DIG_VECTORS[alg], "hex");
      const key = TsigKey.fromSecret("test-key.example", alg, SECRET_B64);
      const verified = verifyMessage(wire, key, ctx, { now: DIG_TIME });
      expect(verified.signed).toBe(true);
      expect(verified.timeSigned).toBe(DIG_TIME);
      const resigned = signMessage(unsignedPart(wire), key, { now: DIG_TIME, fudge: 300 });
      expect(resigned.wire.equals(wire)).toBe(true);
    });
  }
});

describe("TSIG MAC layout (RFC 8945 §4.3)", () => {
  const key = TsigKey.fromSecret("Test-Key.Example.", "hmac-sha256", SECRET_B64);
  const time = 1_700_000_000;

  // The MAC input written out field by field from the RFC, independently of tsig.ts.
  const variables = Buffer.concat([
    Buffer.from("08746573742d6b6579076578616d706c6500", "hex"), // key name, canonical (lowercase) wire form
    Buffer.from("00ff", "hex"), // class ANY
    Buffer.from("00000000", "hex"), // TTL 0
    Buffer.from("0b686d61632d73686132353600", "hex"), // algorithm name hmac-sha256.
    Buffer.from("00006553f100", "hex"), // time signed, u48 (1700000000)
    Buffer.from("012c", "hex"), // fudge 300
    Buffer.from("0000", "hex"), // error
    Buffer.from("0000", "hex"), // other len
  ]);
  const material = Buffer.from(SECRET_B64, "base64");

  it("when signing a request, then the MAC is HMAC(message ‖ TSIG variables)", () => {
    const msg = sampleMessage();
    const expected = createHmac("sha256", material).update(msg).update(variables).digest();
    const signed = signMessage(msg, key, { now: time });
    expect(signed.mac.toString("hex")).toBe(expected.toString("hex"));
    // The appended RR: owner = key name, TYPE 250, CLASS ANY, TTL 0, and ARCOUNT incremented.
    expect(signed.wire.readUInt16BE(10)).toBe(1);
    const owner = readName(signed.wire, msg.length);
    expect(owner.name).toBe("test-key.example");
    expect(signed.wire.subarray(owner.end, owner.end + 8).toString("hex")).toBe("00fa00ff00000000");
  });

  it("when signing a response, then the request MAC (with its length) is prepended", () => {
    const requestMac = Buffer.alloc(32, 0xab);
    const msg = sampleMessage();
    const expected = createHmac("sha256", material)
      .update(Buffer.from("0020", "hex"))
      .update(requestMac)
      .update(msg)
      .update(variables)
      .digest();
    const signed = signMessage(msg, key, { now: time, requestMac });
    expect(signed.mac.equals(expected)).toBe(true);
    expect(verifyMessage(signed.wire, key, ctx, { now: time, requestMac }).signed).toBe(true);
  });

  it("when the response is chained to another request MAC, or to none, then it is rejected", async () => {
    const requestMac = Buffer.alloc(32, 0xab);
    const signed = signMessage(sampleMessage(), key, { now: time, requestMac });
    await expectDnsError(
      () => verifyMessage(signed.wire, key, ctx, { now: time, requestMac: Buffer.alloc(32, 0xac) }),
      "TSIG_BADSIG",
    );
    await expectDnsError(() => verifyMessage(signed.wire, key, ctx, { now: time }), "TSIG_BADSIG");
  });

  it("when the message ID was rewritten in transit, then the original ID from the TSIG RR still verifies", () => {
    const signed = signMessage(sampleMessage(0x1234), key, { now: time });
    const rewritten = Buffer.from(signed.wire);
    rewritten.writeUInt16BE(0x9999, 0);
    expect(verifyMessage(rewritten, key, ctx, { now: time }).signed).toBe(true);
  });
});

describe("TSIG tamper detection", () => {
  const key = TsigKey.fromSecret("test-key.example", "hmac-sha256", SECRET_B64);
  const time = 1_700_000_000;
  const requestMac = Buffer.alloc(32, 0x5a);
  const signed = signMessage(sampleMessage(), key, { now: time, requestMac });
  const tsigStart = readTsigRecord(signed.wire, ctx)!.start;
  const ownerEnd = readName(signed.wire, tsigStart).end;
  const algEnd = readName(signed.wire, ownerEnd + 10).end;

  /**
   * Bits TSIG does not protect, by design: the header ID (bytes 0–1; the MAC covers the original ID
   * in the TSIG RR), and the case of letters in the key and algorithm names, which the MAC covers
   * in canonical lowercase form.
   */
  function unprotected(byte: number, bit: number): boolean {
    if (byte < 2) return true;
    const inTsigNames = (byte >= tsigStart && byte < ownerEnd) || (byte >= ownerEnd + 10 && byte < algEnd);
    const c = signed.wire[byte]!;
    return inTsigNames && bit === 5 && /[a-z]/i.test(String.fromCharCode(c));
  }

  it("when any single protected bit of a signed response flips, then verification fails", () => {
    let checked = 0;
    for (let byte = 0; byte < signed.wire.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        if (unprotected(byte, bit)) continue;
        const tampered = Buffer.from(signed.wire);
        tampered[byte]! ^= 1 << bit;
        expect(
          () => verifyMessage(tampered, key, ctx, { now: time, requestMac }),
          `bit ${bit} of byte ${byte}`,
        ).toThrow(DnsError);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(signed.wire.length * 8 - 16 - 40);
  });

  it("when a bit of the MAC itself flips, then the error is BADSIG from local verification", async () => {
    const tampered = Buffer.from(signed.wire);
    tampered[tampered.length - 10]! ^= 0x01; // inside the MAC (before original ID, error, other len)
    const err = await expectDnsError(
      () => verifyMessage(tampered, key, ctx, { now: time, requestMac }),
      "TSIG_BADSIG",
    );
    expect(err.kind).toBe("auth");
    expect(err.details.origin).toBe("local");
  });
});

describe("TSIG keys, time and server errors", () => {
  const key = TsigKey.fromSecret("test-key.example", "hmac-sha256", SECRET_B64);
  const otherSecret = Buffer.from("another-secret-of-the-same-length!").toString("base64");
  const otherKey = TsigKey.fromSecret("test-key.example", "hmac-sha256", otherSecret);
  const time = 1_700_000_000;

  it("when the response was signed with another secret, then BADSIG without any key text in the error", async () => {
    const signed = signMessage(sampleMessage(), otherKey, { now: time });
    const err = await expectDnsError(
      () => verifyMessage(signed.wire, key, ctx, { now: time }),
      "TSIG_BADSIG",
    );
    const rendered = `${err.message} ${JSON.stringify(err.details)} ${inspect(err)} ${String(err.stack)}`;
    for (const secret of [SECRET_B64, otherSecret]) {
      expect(rendered).not.toContain(secret);
      expect(rendered).not.toContain(Buffer.from(secret, "base64").toString("hex"));
      expect(rendered).not.toContain(Buffer.from(secret, "base64").toString("latin1"));
    }
  });

  it("when the response names another key or algorithm, then BADKEY", async () => {
    const elsewhere = TsigKey.fromSecret("other-key", "hmac-sha256", SECRET_B64);
    await expectDnsError(
      () =>
        verifyMessage(signMessage(sampleMessage(), elsewhere, { now: time }).wire, key, ctx, { now: time }),
      "TSIG_BADKEY",
    );
    const sha512 = TsigKey.fromSecret("test-key.example", "hmac-sha512", SECRET_B64);
    await expectDnsError(
      () => verifyMessage(signMessage(sampleMessage(), sha512, { now: time }).wire, key, ctx, { now: time }),
      "TSIG_BADKEY",
    );
  });

  it("when the signature is older than the fudge, then BADTIME; within the fudge it verifies", async () => {
    const signed = signMessage(sampleMessage(), key, { now: time, fudge: 300 });
    expect(verifyMessage(signed.wire, key, ctx, { now: time + 300 }).signed).toBe(true);
    expect(verifyMessage(signed.wire, key, ctx, { now: time - 300 }).signed).toBe(true);
    await expectDnsError(() => verifyMessage(signed.wire, key, ctx, { now: time + 301 }), "TSIG_BADTIME");
  });

  it("when the server reports BADSIG or BADKEY (empty MAC), then that auth error is raised", async () => {
    for (const [code, expected] of [
      [TSIG_ERROR.BADSIG, "TSIG_BADSIG"],
      [TSIG_ERROR.BADKEY, "TSIG_BADKEY"],
    ] as const) {
      const reply = unsignedReplyWithTsigError(code);
      const err = await expectDnsError(() => verifyMessage(reply, key, ctx, { now: time }), expected);
      expect(err.details.origin).toBe("server");
    }
  });

  it("when the server reports BADTIME in a signed answer, then BADTIME with the server's time", async () => {
    const other = Buffer.alloc(6);
    other.writeUIntBE(time + 4000, 0, 6);
    const requestMac = Buffer.alloc(32, 1);
    const signed = signMessage(sampleMessage(), key, {
      now: time,
      requestMac,
      error: TSIG_ERROR.BADTIME,
      other,
    });
    const err = await expectDnsError(
      () => verifyMessage(signed.wire, key, ctx, { now: time, requestMac }),
      "TSIG_BADTIME",
    );
    expect(err.message).toContain(new Date((time + 4000) * 1000).toISOString());
  });

  it("when the response carries no TSIG, then it is rejected unless unsigned answers are allowed", async () => {
    await expectDnsError(() => verifyMessage(sampleMessage(), key, ctx), "TSIG_UNSIGNED");
    expect(verifyMessage(sampleMessage(), key, ctx, { allowUnsigned: true }).signed).toBe(false);
  });

  it("when a key is printed, serialised or stringified, then its material does not appear", () => {
    for (const shown of [inspect(key), JSON.stringify(key), String(key), inspect({ key }, { depth: 5 })]) {
      expect(shown).not.toContain(SECRET_B64);
      expect(shown).toContain("[redacted]");
    }
  });

  it("when the secret is not base64, then the error names the key but not the text", async () => {
    const text = "not base64 at all: hunter2!";
    const err = await expectDnsError(() => TsigKey.fromSecret("k1", "hmac-sha256", text), "INVALID_INPUT");
    expect(err.message).toContain("k1");
    expect(err.message).not.toContain("hunter2");
  });

  it("when given tsig-keygen output, then the secret of the named clause is used", () => {
    const file = `key "a-key" {\n\talgorithm hmac-sha256;\n\tsecret "${otherSecret}";\n};\nkey "test-key.example" {\n\talgorithm hmac-sha256;\n\tsecret "${SECRET_B64}";\n};\n`;
    const fromFile = TsigKey.fromSecret("test-key.example", "hmac-sha256", file);
    const signedA = signMessage(sampleMessage(), fromFile, { now: time });
    expect(verifyMessage(signedA.wire, key, ctx, { now: time }).signed).toBe(true);
  });
});

/** A response carrying a TSIG RR with `error` set and MAC size 0, as RFC 8945 §5.3.2 prescribes. */
function unsignedReplyWithTsigError(error: number): Buffer {
  const msg = sampleMessage();
  msg.writeUInt16BE(msg.readUInt16BE(2) | 9, 2); // RCODE NOTAUTH
  const rdata = Buffer.concat([
    Buffer.from("0b686d61632d73686132353600", "hex"),
    Buffer.from("00006553f100012c", "hex"), // time, fudge
    Buffer.from("0000", "hex"), // MAC size 0
    msg.subarray(0, 2),
    Buffer.from([error >> 8, error & 0xff]),
    Buffer.from("0000", "hex"),
  ]);
  const rr = Buffer.concat([
    Buffer.from("08746573742d6b6579076578616d706c6500", "hex"),
    Buffer.from("00fa00ff00000000", "hex"),
    Buffer.from([rdata.length >> 8, rdata.length & 0xff]),
    rdata,
  ]);
  const wire = Buffer.concat([msg, rr]);
  wire.writeUInt16BE(1, 10);
  return wire;
}
