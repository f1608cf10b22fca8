// The one place a DnsError becomes the engine's SwitchoverError, so dns.repoint and the API see
// DNS failures with the usual codes: auth → FORBIDDEN, prerequisite → CONFLICT, transport → retry.
import { SwitchoverError } from "../../engine/errors.js";
import type { ErrorCode } from "../../engine/errors.js";
import type { DnsError, DnsErrorKind } from "../../dns/errors.js";

const BY_KIND: Record<DnsErrorKind, ErrorCode> = {
  auth: "FORBIDDEN",
  prerequisite: "CONFLICT",
  rejected: "UPSTREAM",
  server: "UPSTREAM_UNAVAILABLE",
  transport: "UPSTREAM_UNAVAILABLE",
  input: "VALIDATION",
};

export function toSwitchoverError(err: DnsError): SwitchoverError {
  const code: ErrorCode = err.code === "ABORTED" ? "CANCELLED" : BY_KIND[err.kind];
  return new SwitchoverError(code, err.message, {
    retryable: err.retryable,
    details: { ...err.details, dnsCode: err.code, dnsKind: err.kind },
    cause: err,
  });
}
