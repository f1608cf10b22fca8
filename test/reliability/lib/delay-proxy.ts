// A TCP proxy that delays every chunk the upstream sends back by `delayMs` (changeable at any time),
// put in front of a sandbox service to make it slow without touching it. Requests pass at once; a
// client that gives up closes its side and the proxy drops the upstream connection and its timers.
import { once } from "node:events";
import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";

export class DelayProxy {
  delayMs = 0;
  /** Occurrences of `count` seen in client → upstream bytes (e.g. request lines). */
  seen = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly upstream: { host: string; port: number },
    private readonly count = "HTTP/1.1\r\n",
  ) {}

  async start(): Promise<string> {
    this.server = createServer((client) => this.pipe(client));
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  private pipe(client: Socket): void {
    const up = connect(this.upstream.port, this.upstream.host);
    const timers = new Set<NodeJS.Timeout>();
    this.sockets.add(client).add(up);
    const later = (fn: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, this.delayMs);
      timers.add(t);
    };
    const drop = (): void => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      client.destroy();
      up.destroy();
      this.sockets.delete(client);
      this.sockets.delete(up);
    };
    client.on("data", (chunk: Buffer) => {
      this.seen += chunk.toString("latin1").split(this.count).length - 1;
      up.write(chunk);
    });
    up.on("data", (chunk: Buffer) => later(() => client.destroyed || client.write(chunk)));
    up.on("end", () => later(() => client.end()));
    client.on("end", () => up.end());
    client.on("close", drop);
    up.on("close", () => later(drop));
    client.on("error", drop);
    up.on("error", drop);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
