// The CLI's one error type: a message for the person at the terminal and the exit code a script
// sees. Every failure ends up as one of these (api-client maps HTTP problems; main maps the rest).
import { ExitCode } from "./exit-codes.js";
import type { ExitCodeValue } from "./exit-codes.js";

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    /** The API's problem document, printed as is with --output json. */
    readonly problem?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usageError = (message: string): CliError => new CliError(message, ExitCode.Usage);
