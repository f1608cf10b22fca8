// What every command gets: the output (format and colour from the global flags) and, on first use,
// the API client of the chosen context. Commands that never call the API (context …) never need a
// token, so it is resolved lazily.
import type { Command } from "commander";
import { ApiClient } from "./api-client.js";
import { resolveTarget } from "./cli-config.js";
import type { Target } from "./cli-config.js";
import { usageError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import type { ExitCodeValue } from "./exit-codes.js";
import { Output } from "./output.js";
import type { Streams } from "./output.js";

export interface GlobalOptions {
  context?: string;
  output: string;
  color: boolean;
}

export class Session {
  exitCode: ExitCodeValue = ExitCode.Ok;
  private client: ApiClient | undefined;
  private resolved: Target | undefined;
  private output: Output | undefined;

  constructor(readonly streams: Streams) {}

  /** Called before each command's action with the global options as parsed. */
  configure(cmd: Command): void {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    if (g.output !== "text" && g.output !== "json") throw usageError(`--output ${g.output}: text or json`);
    this.output = new Output(this.streams, g.output, g.color);
    this.contextFlag = g.context;
  }

  private contextFlag: string | undefined;

  get out(): Output {
    this.output ??= new Output(this.streams, "text", true);
    return this.output;
  }

  get env(): NodeJS.ProcessEnv {
    return this.streams.env;
  }

  target(): Target {
    this.resolved ??= resolveTarget(this.env, this.contextFlag);
    return this.resolved;
  }

  get api(): ApiClient {
    if (!this.client) {
      const t = this.target();
      this.client = new ApiClient(t.url, t.token);
    }
    return this.client;
  }
}
