import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { VouchError } from "../../core/errors.js";
import { errorHandler, statusOf } from "./errors.js";

describe("the error handler", () => {
  it("maps coded errors to statuses: a query about something not held is a 404, never a 500", () => {
    expect(statusOf(new VouchError("INPUT_NOT_FOUND", "no advisory CVE-0000-0001"))).toBe(404);
    expect(statusOf(new VouchError("INPUT_MALFORMED", "bad"))).toBe(400);
    expect(statusOf(new VouchError("STORE_UNAVAILABLE", "down"))).toBe(503);
    expect(statusOf(new Error("boom"))).toBe(500);
  });

  it("names log.maxEntryBytes only for the log's routes when a body is over the limit", async () => {
    const app = Fastify({ bodyLimit: 16 });
    app.setErrorHandler(errorHandler);
    app.post("/api/v1/log/entries", async () => ({}));
    app.post("/api/v1/signingCert", async () => ({}));
    const big = { payload: { x: "y".repeat(64) } };
    const log = await app.inject({ method: "POST", url: "/api/v1/log/entries", ...big });
    const ca = await app.inject({ method: "POST", url: "/api/v1/signingCert", ...big });
    expect([log.statusCode, log.json().message]).toEqual([400, expect.stringContaining("log.maxEntryBytes")]);
    expect([ca.statusCode, ca.json().message]).toEqual([400, "request body is too large for this route"]);
    await app.close();
  });
});
