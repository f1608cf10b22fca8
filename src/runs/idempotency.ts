// The port behind Idempotency-Key: the first request with a key claims it with the hash of its body;
// a replay with the same hash gets the run the first one created, a different body is refused. Keys
// are scoped to the token's name. adapters/redis/idempotency-store.ts implements it.

export type IdempotencyClaim =
  { state: "new" } | { state: "done"; runId: string } | { state: "pending" } | { state: "mismatch" };

export interface IdempotencyStore {
  claim(scope: string, key: string, hash: string): Promise<IdempotencyClaim>;
  complete(scope: string, key: string, hash: string, runId: string): Promise<void>;
  /** The first request failed: forget the key so the client can try again. */
  abandon(scope: string, key: string): Promise<void>;
}
