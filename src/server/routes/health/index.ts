import type { FastifyPluginAsync } from "fastify";

export interface HealthOptions {
  /** Whether the process can serve its purpose now (e.g. the log has a head); /readyz answers 503 until then. */
  ready: () => Promise<boolean>;
}

/** Liveness (/healthz: the process answers) and readiness (/readyz: its dependencies answer), for probes. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { ready }) => {
  const ok = { type: "object", properties: { status: { type: "string" } }, required: ["status"] } as const;
  app.get("/healthz", { schema: { response: { 200: ok } } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { response: { 200: ok, 503: ok } } }, async (_request, reply) => {
    const isReady = await ready().catch(() => false);
    return reply.code(isReady ? 200 : 503).send({ status: isReady ? "ready" : "not ready" });
  });
};
