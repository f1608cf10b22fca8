// Kafka Connect REST client for the MirrorMaker 2 connectors: status, pause/resume, create/update,
// delete. Basic-auth secrets are resolved at construction and only ever put in the header.
import type { ConnectConfig } from "../../config/schema.js";
import { resolveSecret } from "../../config/secret.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";

export type ConnectorState = "RUNNING" | "PAUSED" | "STOPPED" | "FAILED" | "UNASSIGNED" | "RESTARTING";

export interface ConnectorStatus {
  name: string;
  state: ConnectorState;
  tasks: { id: number; state: ConnectorState; trace?: string }[];
}

/** One source partition's committed offset as Connect reports it (both maps are connector-defined). */
export interface ConnectorOffset {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

export class ConnectClient {
  readonly #auth: string | undefined;

  constructor(
    readonly name: string,
    readonly config: ConnectConfig,
  ) {
    if (config.basicAuth) {
      const pw = resolveSecret(config.basicAuth.password).reveal();
      this.#auth = `Basic ${Buffer.from(`${config.basicAuth.username}:${pw}`).toString("base64")}`;
    }
  }

  async #request(
    method: string,
    path: string,
    signal: AbortSignal | undefined,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const url = new URL(path, this.config.url.endsWith("/") ? this.config.url : `${this.config.url}/`);
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.#auth) headers.authorization = this.#auth;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      // The body is bounded by the same timeout: a worker that sends headers and stalls fails too.
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw err;
      const why = timeout.aborted
        ? `no answer from ${url.origin} within ${this.config.timeoutMs} ms`
        : `failed: ${err instanceof Error ? err.message : String(err)}`;
      throw new SwitchoverError(
        ErrorCode.UpstreamUnavailable,
        `Connect worker ${this.name}: ${method} ${url.pathname} ${why}`,
        {
          cause: err,
          details: { connect: this.name, ...(timeout.aborted ? { timeoutMs: this.config.timeoutMs } : {}) },
        },
      );
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* keep text */
    }
    return { status: res.status, body: parsed };
  }

  #fail(what: string, status: number, body: unknown): SwitchoverError {
    const msg = (body as { message?: string } | null)?.message ?? JSON.stringify(body)?.slice(0, 300);
    const code =
      status === 404
        ? ErrorCode.NotFound
        : status === 400 || status === 422
          ? ErrorCode.Validation
          : status === 409
            ? ErrorCode.Conflict
            : status >= 500
              ? ErrorCode.UpstreamUnavailable
              : ErrorCode.Upstream;
    return new SwitchoverError(code, `Connect worker ${this.name}: ${what} answered ${status}: ${msg}`, {
      details: { connect: this.name, status },
    });
  }

  /** The worker's own answer at its root (`GET /`): its Kafka version, so a health probe reads nothing else. */
  async info(signal?: AbortSignal): Promise<{ version: string }> {
    const res = await this.#request("GET", "", signal);
    if (res.status !== 200) throw this.#fail("worker info", res.status, res.body);
    const version = (res.body as { version?: unknown } | null)?.version;
    return { version: typeof version === "string" ? version : "unknown" };
  }

  async status(connector: string, signal?: AbortSignal): Promise<ConnectorStatus | null> {
    const res = await this.#request("GET", `connectors/${encodeURIComponent(connector)}/status`, signal);
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.#fail(`status of ${connector}`, res.status, res.body);
    const b = res.body as {
      name: string;
      connector: { state: ConnectorState };
      tasks: { id: number; state: ConnectorState; trace?: string }[];
    };
    return { name: b.name, state: b.connector.state, tasks: b.tasks };
  }

  /**
   * A connector's committed source offsets (`GET /connectors/{name}/offsets`, Kafka 3.5+): what the
   * worker has durably recorded as processed, one entry per source partition. null: no such connector.
   */
  async offsets(connector: string, signal?: AbortSignal): Promise<ConnectorOffset[] | null> {
    const res = await this.#request("GET", `connectors/${encodeURIComponent(connector)}/offsets`, signal);
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.#fail(`offsets of ${connector}`, res.status, res.body);
    const b = res.body as { offsets?: ConnectorOffset[] } | null;
    return b?.offsets ?? [];
  }

  async configOf(connector: string, signal?: AbortSignal): Promise<Record<string, string> | null> {
    const res = await this.#request("GET", `connectors/${encodeURIComponent(connector)}/config`, signal);
    if (res.status === 404) return null;
    if (res.status !== 200) throw this.#fail(`config of ${connector}`, res.status, res.body);
    return res.body as Record<string, string>;
  }

  async pause(connector: string, signal?: AbortSignal): Promise<void> {
    const res = await this.#request("PUT", `connectors/${encodeURIComponent(connector)}/pause`, signal);
    if (res.status !== 202 && res.status !== 204)
      throw this.#fail(`pause ${connector}`, res.status, res.body);
  }

  async resume(connector: string, signal?: AbortSignal): Promise<void> {
    const res = await this.#request("PUT", `connectors/${encodeURIComponent(connector)}/resume`, signal);
    if (res.status !== 202 && res.status !== 204)
      throw this.#fail(`resume ${connector}`, res.status, res.body);
  }

  /** Creates or replaces a connector's config (PUT is idempotent in Connect). */
  async putConfig(connector: string, config: Record<string, string>, signal?: AbortSignal): Promise<void> {
    const res = await this.#request(
      "PUT",
      `connectors/${encodeURIComponent(connector)}/config`,
      signal,
      config,
    );
    if (res.status !== 200 && res.status !== 201)
      throw this.#fail(`configure ${connector}`, res.status, res.body);
  }

  async validate(config: Record<string, string>, signal?: AbortSignal): Promise<string[]> {
    const cls = config["connector.class"] ?? "";
    const plugin = cls.split(".").at(-1) ?? cls;
    const res = await this.#request(
      "PUT",
      `connector-plugins/${encodeURIComponent(plugin)}/config/validate`,
      signal,
      config,
    );
    if (res.status !== 200) throw this.#fail(`validate ${plugin}`, res.status, res.body);
    const b = res.body as { configs: { value: { name: string; errors: string[] } }[] };
    return b.configs.flatMap((c) => c.value.errors.map((e) => `${c.value.name}: ${e}`));
  }

  async remove(connector: string, signal?: AbortSignal): Promise<void> {
    const res = await this.#request("DELETE", `connectors/${encodeURIComponent(connector)}`, signal);
    if (res.status !== 204 && res.status !== 200 && res.status !== 404)
      throw this.#fail(`delete ${connector}`, res.status, res.body);
  }
}
