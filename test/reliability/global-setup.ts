// The reliability project's own setup (after the integration one brought the sandbox up): starts
// the figures file empty, and prints the table from what the tests recorded when the project ends.
import { formatTable, readFigures, resetFigures } from "./lib/figures.js";

export default function setup(): () => void {
  resetFigures();
  return () => {
    process.stdout.write(`\n${formatTable(readFigures())}`);
  };
}
