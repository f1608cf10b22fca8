// Where the CLI writes, and how: JSON for programs (--output json), text for people; colour and a
// live status line only on a terminal (never when piped, never with NO_COLOR or --no-color).
import picocolors from "picocolors";

type Colors = ReturnType<typeof picocolors.createColors>;

export type OutputFormat = "text" | "json";

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function colourWanted(streams: Streams, flag: boolean): boolean {
  const { env } = streams;
  if (!flag || "NO_COLOR" in env) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  return streams.stdout.isTTY === true && env.TERM !== "dumb";
}

/** Words in our terminal renderings that deserve a colour, and which. */
const RULES: { re: RegExp; paint: keyof Colors }[] = [
  { re: /\b(succeeded|SUCCEEDED|READY|ready|intact)\b|✔/g, paint: "green" },
  {
    re: /\b(failed|FAILED|cancelled|CANCELLED|rejected|DRIFT|BLOCKED|blocked|BROKEN|error)\b|✘/g,
    paint: "red",
  },
  {
    re: /\b(waiting_approval|WAITING_APPROVAL|waits for approval|waiting approval|approval needed|DEGRADED|degraded)\b/g,
    paint: "yellow",
  },
  { re: /\bREAL RUN\b/g, paint: "magenta" },
  { re: /\b(running|applying|planning|verifying|RUNNING|QUEUED|queued)\b/g, paint: "cyan" },
  { re: /\(unchanged\)|\(as before\)/g, paint: "dim" },
];

export class Output {
  readonly colours: Colors;
  private status = "";

  constructor(
    readonly streams: Streams,
    readonly format: OutputFormat,
    colour: boolean,
  ) {
    this.colours = picocolors.createColors(colourWanted(streams, colour));
  }

  get json(): boolean {
    return this.format === "json";
  }

  /** Live status lines only where a person watches a terminal. */
  get live(): boolean {
    return this.streams.stdout.isTTY === true && !this.json;
  }

  paint(line: string): string {
    if (!this.colours.isColorSupported) return line;
    let out = line.replace(/^(\d\d:\d\d:\d\d\.\d\d\d)/, (t) => this.colours.dim(t));
    for (const { re, paint } of RULES)
      out = out.replace(re, (m) => (this.colours[paint] as (s: string) => string)(m));
    return out;
  }

  /** Text for people (coloured on a terminal). */
  line(text = ""): void {
    this.clearStatus();
    for (const l of text.replace(/\n$/, "").split("\n")) this.streams.stdout.write(`${this.paint(l)}\n`);
    this.redrawStatus();
  }

  /** Raw text as the server rendered it (report, run, posture): painted, otherwise untouched. */
  block(text: string): void {
    this.line(text);
  }

  /** A JSON document (pretty) or, for streams, one document per line. */
  document(value: unknown, compact = false): void {
    this.streams.stdout.write(`${compact ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
  }

  /** Messages about the command rather than its result (hints, warnings, errors): stderr. */
  note(text: string): void {
    this.clearStatus();
    this.streams.stderr.write(`${text}\n`);
    this.redrawStatus();
  }

  /** The one-line live status under the output (a terminal only). */
  setStatus(text: string): void {
    if (!this.live) return;
    this.clearStatus();
    const width = Math.max(20, (this.streams.stdout.columns ?? 100) - 1);
    this.status = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    this.redrawStatus();
  }

  clearStatus(): void {
    // \r and "erase line" (CSI 2K): the status line is rewritten in place rather than scrolled.
    if (this.live && this.status) this.streams.stdout.write("\r\x1b[2K");
  }

  private redrawStatus(): void {
    if (this.live && this.status) this.streams.stdout.write(this.colours.dim(this.status));
  }

  endStatus(): void {
    this.clearStatus();
    this.status = "";
  }
}
