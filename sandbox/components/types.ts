// What every sandbox component (a process or group of processes) offers to the CLI.
export interface ComponentStatus {
  id: string;
  healthy: boolean;
  pid?: number;
  endpoints: string[];
  rssBytes?: number;
  log: string;
  detail?: string;
}

export interface SandboxPaths {
  /** Repository root. */
  root: string;
  /** .sandbox/ — git-ignored state: data dirs, logs, pid files, generated config. */
  state: string;
  /** .sandbox/cache — downloaded jars. */
  cache: string;
}

/** A failure the CLI prints as one line: which component, why, and how to fix it. */
export class SandboxError extends Error {
  constructor(
    readonly component: string,
    message: string,
    readonly fix?: string,
    readonly log?: string,
  ) {
    super(message);
    this.name = "SandboxError";
  }
  line(): string {
    const parts = [`${this.component}: ${this.message}`];
    if (this.log) parts.push(`log: ${this.log}`);
    if (this.fix) parts.push(`fix: ${this.fix}`);
    return parts.join(" — ");
  }
}

/** A startable part of the sandbox. `start` is idempotent and resolves only once the part is ready. */
export interface Component {
  id: string;
  /** TCP/UDP ports on 127.0.0.1 the component binds (checked for conflicts before starting). */
  ports: number[];
  start(paths: SandboxPaths, opts: { timeoutMs: number }): Promise<ComponentStatus>;
  stop(paths: SandboxPaths): Promise<void>;
  status(paths: SandboxPaths): Promise<ComponentStatus>;
}
