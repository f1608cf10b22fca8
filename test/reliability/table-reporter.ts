// Prints the reliability table when a run included the reliability project, listed before the
// default reporter so the test runner's summary line stays the last thing printed.
import type { Reporter, TestModule } from "vitest/node";
import { formatTable, readFigures } from "./lib/figures.js";

export default class ReliabilityTableReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    if (!testModules.some((m) => m.project.name === "reliability")) return;
    process.stdout.write(`\n${formatTable(readFigures())}\n`);
  }
}
