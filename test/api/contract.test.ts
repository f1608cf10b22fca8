// The contract checker itself: it must reject bodies that do not match, statuses the document does
// not list, and problem fields it does not define — or the contract tests prove nothing.
import { describe, expect, it } from "vitest";
import type { Response } from "supertest";
import { checkContract, operations } from "./contract.js";

const response = (status: number, body: unknown, contentType = "application/json"): Response =>
  ({ status, headers: { "content-type": contentType }, text: JSON.stringify(body) }) as unknown as Response;

const problem = {
  type: "urn:switchover:problem:not-found",
  title: "Not found",
  status: 404,
  detail: "run x not found",
};

describe("contract checker", () => {
  it("when a body misses required fields, then it fails", () => {
    expect(() => checkContract("GET", "/v1/runs/abc", response(200, { id: "x" }))).toThrow(/does not match/);
  });
  it("when a status is not documented for the operation, then it fails", () => {
    expect(() => checkContract("GET", "/v1/runs/abc", response(418, {}))).toThrow(/does not list/);
  });
  it("when a problem has an undefined field or a non-URN type, then it fails", () => {
    const ct = "application/problem+json";
    expect(() => checkContract("GET", "/v1/runs/abc", response(404, { ...problem, extra: 1 }, ct))).toThrow(
      /does not match/,
    );
    expect(() =>
      checkContract("GET", "/v1/runs/abc", response(404, { ...problem, type: "about:blank" }, ct)),
    ).toThrow(/does not match/);
    expect(checkContract("GET", "/v1/runs/abc", response(404, problem, ct))).toBe("getRun");
  });
  it("when the media type is not documented, then it fails", () => {
    expect(() => checkContract("GET", "/v1/runs/abc", response(404, problem, "text/html"))).toThrow(
      /media type/,
    );
  });
  it("lists every operation of the document", () => {
    expect(operations.length).toBeGreaterThanOrEqual(22);
  });
});
