import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics (`/metrics`, prom-client): request counts and durations by route template and status, the
 * process's default metrics, and a registry the index's SLI gauges register in (wave 2 of issue 9).
 * Each app has its own registry (never prom-client's global one), so apps built side by side in tests never share
 * or double-register a metric.
 */
export interface ServerMetrics {
  /** Register further metrics here (SLI gauges): `new Gauge({ name, help, registers: [metrics.registry] })`. */
  registry: Registry;
  /** The onResponse hook app.ts installs at the root, so every domain's routes are counted. */
  observe(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

export function createServerMetrics(options: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "vouch_" });
  const labelNames = ["method", "route", "status"] as const;
  const requests = new Counter({ name: "vouch_http_requests_total", help: "HTTP requests answered, by route template and status", labelNames, registers: [registry] });
  const duration = new Histogram({
    name: "vouch_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by route template and status",
    labelNames,
    // 0.5 ms and 2 ms as well as Prometheus' usual steps: the transparency log's reads are answered in well under a
    // millisecond, and its proof-serving objective is p99 < 2 ms (issue 4), which an operator can only alert on
    // (histogram_quantile, or the share above le="0.002") with a bucket edge at 2 ms.
    buckets: [0.0005, 0.001, 0.002, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observe: async (request, reply) => {
      // The route template (/api/v1/log/entries/:uuid), never the URL: label values stay few whatever clients send.
      const labels = { method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
    },
  };
}

export const metricsRoutes: FastifyPluginAsync<{ metrics: ServerMetrics }> = async (app, { metrics }) => {
  app.get(
    "/metrics",
    {
      schema: {
        summary: "Prometheus metrics (text exposition format)",
        tags: ["operations"],
        produces: ["text/plain"],
        response: { 200: { type: "string" } },
      },
    },
    async (_request, reply) => reply.header("content-type", metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
