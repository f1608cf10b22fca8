// The reliability project's own setup (after the integration one brought the sandbox up): starts
// the figures file empty; table-reporter.ts prints the table from what the tests recorded.
import { resetFigures } from "./lib/figures.js";

export default function setup(): void {
  resetFigures();
}
