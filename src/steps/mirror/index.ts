// The MirrorMaker 2 control steps (Kafka Connect REST), for the composition root to add to the registry.
import type { AnyStep } from "../../engine/step-contract.js";
import { mirrorPauseStep, mirrorResumeStep } from "./connector-state.js";
import { mirrorCreateFlowStep } from "./create-flow.js";

export const mirrorSteps: readonly AnyStep[] = [mirrorCreateFlowStep, mirrorPauseStep, mirrorResumeStep];
