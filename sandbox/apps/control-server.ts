// A tiny HTTP control surface for the demo apps (GET /status, POST /<command>) on 127.0.0.1.
import { createServer } from "node:http";
import type { Server } from "node:http";

export type Commands = Record<string, () => Promise<unknown>>;

export async function startControlServer(
  port: number,
  status: () => unknown,
  commands: Commands,
): Promise<Server> {
  const server = createServer((req, res) => {
    const reply = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? "/").split("?")[0]!.replace(/^\/+/, "");
    if (req.method === "GET" && path === "status") return reply(200, status());
    const command = req.method === "POST" ? commands[path] : undefined;
    if (!command) return reply(404, { error: `unknown command ${req.method ?? ""} /${path}` });
    command().then(
      (result) => reply(200, result ?? status()),
      (err: unknown) => reply(500, { error: err instanceof Error ? err.message : String(err) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}
