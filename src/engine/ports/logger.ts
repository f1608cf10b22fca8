// The logging port: structured, with child loggers carrying run and step ids. pino satisfies it.

export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  fields: Record<string, unknown>;
}

/** Keeps entries in memory (tests assert on the tags) or drops them (benchmarks). */
export class MemoryLogger implements Logger {
  constructor(
    readonly entries: LogEntry[] = [],
    private readonly bindings: Record<string, unknown> = {},
    private readonly keep = true,
  ) {}
  private log(level: LogEntry["level"], fields: Record<string, unknown>, msg: string): void {
    if (this.keep) this.entries.push({ level, msg, fields: { ...this.bindings, ...fields } });
  }
  debug(fields: Record<string, unknown>, msg: string): void {
    this.log("debug", fields, msg);
  }
  info(fields: Record<string, unknown>, msg: string): void {
    this.log("info", fields, msg);
  }
  warn(fields: Record<string, unknown>, msg: string): void {
    this.log("warn", fields, msg);
  }
  error(fields: Record<string, unknown>, msg: string): void {
    this.log("error", fields, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new MemoryLogger(this.entries, { ...this.bindings, ...bindings }, this.keep);
  }
  static silent(): MemoryLogger {
    return new MemoryLogger([], {}, false);
  }
}
