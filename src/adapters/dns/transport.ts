// Sends one DNS message to one server and returns the matching response: TCP with the RFC 1035
// §4.2.2 two-byte length prefix, or UDP; bounded by a timeout and cancellable with an AbortSignal.
import { createSocket } from "node:dgram";
import { isIP } from "node:net";
import { connect } from "node:net";
import { DnsError } from "../../dns/errors.js";

export type DnsTransport = "tcp" | "udp";

export interface ExchangeOptions {
  transport: DnsTransport;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ServerAddress {
  host: string;
  port: number;
}

/** "host:port", "[v6]:port", or a bare host (port 53). */
export function parseServer(server: string): ServerAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server);
  const plain = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(server);
  const host = bracketed?.[1] ?? (isIP(server) === 6 ? server : plain?.[1]);
  const portText = bracketed ? bracketed[2] : isIP(server) === 6 ? undefined : plain?.[2];
  const port = portText === undefined ? 53 : Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DnsError("INVALID_INPUT", "input", `DNS server "${server}" is not host:port`, { server });
  }
  return { host, port };
}

/** Sends `message` and resolves with the first response whose ID matches. */
export function exchange(server: string, message: Buffer, opts: ExchangeOptions): Promise<Buffer> {
  const address = parseServer(server);
  return opts.transport === "tcp"
    ? exchangeTcp(server, address, message, opts)
    : exchangeUdp(server, address, message, opts);
}

function guard(
  server: string,
  opts: ExchangeOptions,
  onEnd: () => void,
  reject: (err: DnsError) => void,
): { done: () => void } | undefined {
  if (opts.signal?.aborted) {
    reject(
      new DnsError(
        "ABORTED",
        "transport",
        `DNS request to ${server} was cancelled`,
        { server },
        { retryable: false },
      ),
    );
    return undefined;
  }
  const timer = setTimeout(() => {
    cleanup();
    reject(
      new DnsError(
        "TIMEOUT",
        "transport",
        `no ${opts.transport.toUpperCase()} response from ${server} within ${opts.timeoutMs} ms`,
        {
          server,
          timeoutMs: opts.timeoutMs,
        },
      ),
    );
  }, opts.timeoutMs);
  const onAbort = (): void => {
    cleanup();
    reject(
      new DnsError(
        "ABORTED",
        "transport",
        `DNS request to ${server} was cancelled`,
        { server },
        { retryable: false },
      ),
    );
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let ended = false;
  function cleanup(): void {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
    onEnd();
  }
  return { done: cleanup };
}

function connectionError(server: string, transport: DnsTransport, err: unknown): DnsError {
  const code = err instanceof Error && "code" in err ? String(err.code) : "error";
  return new DnsError(
    "CONNECTION",
    "transport",
    `${transport.toUpperCase()} connection to ${server} failed (${code})`,
    { server, transport, errno: code },
    { cause: err },
  );
}

function exchangeTcp(
  server: string,
  address: ServerAddress,
  message: Buffer,
  opts: ExchangeOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port });
    const g = guard(server, opts, () => socket.destroy(), reject);
    if (!g) {
      socket.destroy();
      return;
    }
    const id = message.readUInt16BE(0);
    let pending = Buffer.alloc(0);
    socket.on("connect", () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length, 0);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const size = pending.readUInt16BE(0);
        if (pending.length < 2 + size) return;
        const frame = pending.subarray(2, 2 + size);
        pending = pending.subarray(2 + size);
        if (frame.length >= 2 && frame.readUInt16BE(0) === id) {
          g.done();
          resolve(Buffer.from(frame));
          return;
        }
      }
    });
    socket.on("error", (err) => {
      g.done();
      reject(connectionError(server, "tcp", err));
    });
    socket.on("close", () => {
      g.done();
      reject(
        new DnsError("CONNECTION", "transport", `${server} closed the TCP connection without answering`, {
          server,
          transport: "tcp",
        }),
      );
    });
  });
}

function exchangeUdp(
  server: string,
  address: ServerAddress,
  message: Buffer,
  opts: ExchangeOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(address.host) === 6 ? "udp6" : "udp4");
    const g = guard(server, opts, () => socket.close(), reject);
    if (!g) {
      socket.close();
      return;
    }
    const id = message.readUInt16BE(0);
    socket.on("message", (msg: Buffer) => {
      // Anything but our ID is stale or spoofed; keep waiting for ours.
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) {
        g.done();
        resolve(msg);
      }
    });
    socket.on("error", (err) => {
      g.done();
      reject(connectionError(server, "udp", err));
    });
    socket.connect(address.port, address.host, () => {
      socket.send(message);
    });
  });
}
