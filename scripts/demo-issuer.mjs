// A stand-in for GitHub Actions' OIDC issuer, for the demo only (scripts/demo.sh): it serves OIDC discovery and a
// JWKS on http://127.0.0.1:PORT, writes one GitHub Actions-shaped ID token (audience "sigstore") to TOKEN_FILE,
// and keeps serving so that vouch's CA can fetch its keys. In CI the real issuer is
// https://token.actions.githubusercontent.com and the token comes from ACTIONS_ID_TOKEN_REQUEST_URL.
//
//   node scripts/demo-issuer.mjs PORT TOKEN_FILE
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import process from "node:process";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

const [port = "9000", tokenFile = "id-token.jwt"] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey, publicKey } = await generateKeyPair("ES256");
const jwk = { ...(await exportJWK(publicKey)), kid: "demo", alg: "ES256", use: "sig" };

const server = createServer((request, response) => {
  const json = (body) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  if (request.url === "/.well-known/openid-configuration") return json({ issuer, jwks_uri: `${issuer}/.well-known/jwks`, id_token_signing_alg_values_supported: ["ES256"] });
  if (request.url === "/.well-known/jwks") return json({ keys: [jwk] });
  response.writeHead(404).end();
});
await new Promise((resolve) => server.listen(Number(port), "127.0.0.1", resolve));

const repository = "vouch-demo/vouch";
const workflowRef = `${repository}/.github/workflows/release.yml@refs/heads/main`;
const sha = "0000000000000000000000000000000000000000";
const token = await new SignJWT({
  sub: `repo:${repository}:ref:refs/heads/main`,
  ref: "refs/heads/main",
  ref_type: "branch",
  sha,
  repository,
  repository_id: "1",
  repository_owner: "vouch-demo",
  repository_owner_id: "1",
  repository_visibility: "public",
  run_id: "1",
  run_number: "1",
  run_attempt: "1",
  runner_environment: "github-hosted",
  actor: "vouch-demo",
  actor_id: "1",
  event_name: "push",
  workflow: "release",
  workflow_ref: workflowRef,
  workflow_sha: sha,
  job_workflow_ref: workflowRef,
  job_workflow_sha: sha,
})
  .setProtectedHeader({ alg: "ES256", kid: "demo", typ: "JWT" })
  .setIssuer(issuer)
  .setAudience("sigstore")
  .setIssuedAt()
  .setExpirationTime("1h")
  .setJti(randomUUID())
  .sign(privateKey);
writeFileSync(tokenFile, token);
process.stderr.write(`demo OIDC issuer on ${issuer}; token for https://github.com/${workflowRef} in ${tokenFile}\n`);
