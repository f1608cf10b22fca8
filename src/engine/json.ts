// JSON-shaped values: what plans, outputs and before-states may contain, so every record round-trips
// through the run store unchanged.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
