// The `switchover` command line: commander wiring, global flags, and the mapping of every outcome
// to a documented exit code (commander's own errors, e.g. a missing argument, become usage errors).
import { Command, CommanderError, Option } from "commander";
import { CliError } from "./cli-error.js";
import { contextCommands } from "./commands/context-commands.js";
import { infoCommands } from "./commands/info-commands.js";
import { runCommands } from "./commands/run-commands.js";
import { EXIT_CODES_HELP, ExitCode } from "./exit-codes.js";
import type { ExitCodeValue } from "./exit-codes.js";
import type { Streams } from "./output.js";
import { Session } from "./session.js";

const ENVIRONMENT_HELP = `Contexts (switchover context --help): $SWITCHOVER_CLI_CONFIG, default ~/.config/switchover/config.yaml.
  SWITCHOVER_CONTEXT picks a context; SWITCHOVER_URL with SWITCHOVER_TOKEN skips the file (CI).
  Tokens come from an environment variable or a file, never from a flag.`;

export function buildProgram(s: Session, version: string): Command {
  const program = new Command("switchover");
  // Before any subcommand is added: they inherit both.
  program.exitOverride();
  program.configureOutput({
    writeOut: (t) => s.streams.stdout.write(t),
    writeErr: (t) => s.streams.stderr.write(t),
  });
  program
    .description("Drive switchover from a terminal: dry-run, run, watch, approve, revert, report.")
    .version(version, "-V, --version")
    .option("--context <name>", "the context to use (default: the current one)")
    .addOption(
      new Option("-o, --output <format>", "text for people, json for programs")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("--no-color", "no colour even on a terminal (NO_COLOR=1 does the same)")
    .showSuggestionAfterError()
    .addHelpText("after", `\n${EXIT_CODES_HELP}\n\n${ENVIRONMENT_HELP}\n`)
    .hook("preAction", (_this, action) => s.configure(action));
  contextCommands(program, s);
  infoCommands(program, s);
  runCommands(program, s);
  return program;
}

/** Runs one command line; resolves to the exit code (never throws). */
export async function runCli(
  argv: readonly string[],
  streams: Streams,
  version: string,
): Promise<ExitCodeValue> {
  const s = new Session(streams);
  const program = buildProgram(s, version);
  try {
    await program.parseAsync(argv, { from: "user" });
    return s.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exitCode 0.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (err instanceof CliError) {
      s.out.endStatus();
      if (s.out.json && err.problem) s.out.document({ error: err.problem });
      streams.stderr.write(`switchover: ${err.message}\n`);
      return err.exitCode;
    }
    // A bug of ours, not the user's: say so with the stack.
    streams.stderr.write(
      `switchover: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return ExitCode.Unavailable;
  }
}
