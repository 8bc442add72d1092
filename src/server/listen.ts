import type { FastifyInstance } from "fastify";

/** A host as it goes into a URL: an IPv6 address needs brackets. */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The http URL a listening app answers on (the port the OS chose, for --port 0). */
export function listeningUrl(app: FastifyInstance, host: string, requestedPort: number): string {
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : requestedPort;
  return `http://${urlHost(host)}:${port}`;
}
