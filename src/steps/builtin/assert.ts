// `assert`: stop the run with a clear message unless a condition over params and outputs holds.
// Evaluated at plan time, so a dry-run already shows which assertion would stop the real run.
import { z } from "zod";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { defineStep } from "../step-adapters.js";
import { evaluateAssert } from "./evaluate-builtin.js";

const inputSchema = () =>
  z.strictObject({
    /** Written as `${{ … }}`; resolved to a boolean before the step runs. */
    that: z.boolean(),
    message: z.string().min(1).max(2_000),
  });

export const assertStep = defineStep<z.infer<ReturnType<typeof inputSchema>>>({
  kind: "assert",
  description: "Fail with a message unless a condition holds",
  adapters: [],
  input: inputSchema,
  evaluate: evaluateAssert,
  check: {
    async inspect(_ctx, input) {
      if (!input.that) {
        throw new SwitchoverError(ErrorCode.AssertionFailed, input.message, { retryable: false });
      }
      return { held: true };
    },
  },
});
