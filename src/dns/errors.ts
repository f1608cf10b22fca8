// The one error type the DNS adapters throw, and the single mapper from server RCODEs and TSIG
// error fields to it, so every caller sees the same code, category and message.
export type DnsErrorKind =
  /** Signature or key problem: wrong secret, unknown key, clock skew, unsigned or forged response. */
  | "auth"
  /** A prerequisite of a conditional update did not hold; nothing was changed. */
  | "prerequisite"
  /** The server refused or cannot serve the request (policy, zone not served here, bad request). */
  | "rejected"
  /** The server failed internally; retrying may help. */
  | "server"
  /** No usable answer: timeout, connection failure, cancelled, malformed bytes. */
  | "transport"
  /** The request was invalid before anything was sent. */
  | "input";

export type DnsErrorCode =
  | "TSIG_BADSIG"
  | "TSIG_BADKEY"
  | "TSIG_BADTIME"
  | "TSIG_BADTRUNC"
  | "TSIG_UNSIGNED"
  | "TSIG_MALFORMED"
  | "FORMERR"
  | "SERVFAIL"
  | "NXDOMAIN"
  | "NOTIMP"
  | "REFUSED"
  | "YXDOMAIN"
  | "YXRRSET"
  | "NXRRSET"
  | "NOTAUTH"
  | "NOTZONE"
  | "RCODE_UNKNOWN"
  | "NOT_AUTHORITATIVE"
  | "TIMEOUT"
  | "CONNECTION"
  | "ABORTED"
  | "MALFORMED_RESPONSE"
  | "INVALID_INPUT"
  | "OUTSIDE_ZONE";

export class DnsError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly code: DnsErrorCode,
    readonly kind: DnsErrorKind,
    message: string,
    readonly details: Record<string, string | number | boolean> = {},
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DnsError";
    this.retryable = options?.retryable ?? (kind === "transport" || kind === "server");
  }
}

/** RFC 1035 / 2136 RCODE numbers (the 4-bit header field). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
} as const;

/** RFC 8945 §3 TSIG error field values. */
export const TSIG_ERROR = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;

export interface ErrorContext {
  server: string;
  zone?: string;
  keyName?: string;
}

/**
 * Maps a TSIG error field to a DnsError: `server` when the server reported it about our request,
 * `local` when we found it checking the server's response. Never mentions key material.
 */
export function tsigError(code: number, ctx: ErrorContext, origin: "server" | "local", extra = ""): DnsError {
  const key = ctx.keyName ?? "(none)";
  const details = { server: ctx.server, keyName: key, tsigError: code, origin };
  const tail = extra ? `: ${extra}` : "";
  const who =
    origin === "server"
      ? `${ctx.server} rejected the request signed with TSIG key ${key}`
      : `the response from ${ctx.server} failed TSIG verification with key ${key}`;
  switch (code) {
    case TSIG_ERROR.BADSIG:
      return new DnsError(
        "TSIG_BADSIG",
        "auth",
        `${who} (BADSIG)${tail || ": the secret or algorithm does not match"}`,
        details,
      );
    case TSIG_ERROR.BADKEY:
      return new DnsError(
        "TSIG_BADKEY",
        "auth",
        `${who} (BADKEY)${tail || ": the key name or algorithm is unknown to the other side"}`,
        details,
      );
    case TSIG_ERROR.BADTIME:
      return new DnsError(
        "TSIG_BADTIME",
        "auth",
        `${who} (BADTIME)${tail || ": the clocks differ by more than the fudge"}`,
        details,
      );
    case TSIG_ERROR.BADTRUNC:
      return new DnsError("TSIG_BADTRUNC", "auth", `${who} (BADTRUNC)${tail}`, details);
    default:
      return new DnsError("TSIG_MALFORMED", "auth", `${who} (TSIG error ${code})${tail}`, details);
  }
}

/** Maps a non-zero response RCODE to a DnsError; call only for rcode !== NOERROR. */
export function rcodeError(rcode: number, ctx: ErrorContext): DnsError {
  const zone = ctx.zone ?? "(unknown zone)";
  const details = { server: ctx.server, zone, rcode };
  switch (rcode) {
    case RCODE.FORMERR:
      return new DnsError(
        "FORMERR",
        "rejected",
        `${ctx.server} could not parse the request for ${zone} (FORMERR)`,
        details,
      );
    case RCODE.SERVFAIL:
      return new DnsError(
        "SERVFAIL",
        "server",
        `${ctx.server} failed to process the request for ${zone} (SERVFAIL)`,
        details,
      );
    case RCODE.NXDOMAIN:
      return new DnsError(
        "NXDOMAIN",
        "prerequisite",
        `a name that must exist in ${zone} does not (NXDOMAIN)`,
        details,
      );
    case RCODE.NOTIMP:
      return new DnsError(
        "NOTIMP",
        "rejected",
        `${ctx.server} does not implement this operation (NOTIMP)`,
        details,
      );
    case RCODE.REFUSED:
      return new DnsError(
        "REFUSED",
        "rejected",
        `${ctx.server} refused the request for ${zone} (REFUSED): check the server's update policy for this key and name`,
        details,
      );
    case RCODE.YXDOMAIN:
      return new DnsError(
        "YXDOMAIN",
        "prerequisite",
        `a name that must not exist in ${zone} does (YXDOMAIN)`,
        details,
      );
    case RCODE.YXRRSET:
      return new DnsError(
        "YXRRSET",
        "prerequisite",
        `an RRset that must not exist in ${zone} does (YXRRSET)`,
        details,
      );
    case RCODE.NXRRSET:
      return new DnsError(
        "NXRRSET",
        "prerequisite",
        `an RRset that must exist (with the expected values) in ${zone} does not (NXRRSET)`,
        details,
      );
    case RCODE.NOTAUTH:
      return new DnsError(
        "NOTAUTH",
        "auth",
        `${ctx.server} is not authoritative for ${zone} or did not authorise the request (NOTAUTH)`,
        details,
      );
    case RCODE.NOTZONE:
      return new DnsError(
        "NOTZONE",
        "input",
        `a name in the request is outside zone ${zone} (NOTZONE)`,
        details,
      );
    default:
      return new DnsError(
        "RCODE_UNKNOWN",
        "server",
        `${ctx.server} answered with RCODE ${rcode} for ${zone}`,
        details,
      );
  }
}
