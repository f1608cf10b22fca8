// DnsError → SwitchoverError mapping: codes, retryability and details survive the translation.
import { describe, expect, it } from "vitest";
import { DnsError, rcodeError, RCODE, tsigError, TSIG_ERROR } from "../../dns/errors.js";
import { toSwitchoverError } from "./to-switchover-error.js";

describe("toSwitchoverError", () => {
  const ctx = { server: "127.0.0.1:15353", zone: "dr.test", keyName: "k" };
  it.each([
    [tsigError(TSIG_ERROR.BADSIG, ctx, "server"), "FORBIDDEN", false],
    [rcodeError(RCODE.NXRRSET, ctx), "CONFLICT", false],
    [rcodeError(RCODE.REFUSED, ctx), "UPSTREAM", false],
    [rcodeError(RCODE.SERVFAIL, ctx), "UPSTREAM_UNAVAILABLE", true],
    [new DnsError("TIMEOUT", "transport", "no answer"), "UPSTREAM_UNAVAILABLE", true],
    [new DnsError("ABORTED", "transport", "cancelled", {}, { retryable: false }), "CANCELLED", false],
    [new DnsError("OUTSIDE_ZONE", "input", "outside"), "VALIDATION", false],
  ] as const)("when %s, then %s (retryable %s)", (err, code, retryable) => {
    const mapped = toSwitchoverError(err);
    expect([mapped.code, mapped.retryable]).toEqual([code, retryable]);
    expect(mapped.details).toMatchObject({ dnsCode: err.code, dnsKind: err.kind });
    expect(mapped.cause).toBe(err);
  });
});
