import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { loadConfig, resolveDataDir } from "../../runtime.js";
import { err, out } from "../io.js";
import type { GlobalOptions } from "../options.js";
import { tcpPort, wholeNumber } from "../options.js";
import { openAdmissionEngine } from "./admission-engine.js";
import { addRegistryFlags, type RegistryFlags } from "./image-options.js";
import { registerReconcile } from "./admission-reconcile.js";
import { untilSignal } from "./serve.js";

interface ServeFlags extends RegistryFlags {
  policy?: string;
  port: string;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  onNoMatch?: string;
  trustedRoot?: string;
}

interface CertsFlags {
  out: string;
  service: string;
  namespace: string;
  days: string;
}

/**
 * `vouch admission serve|certs` (and `reconcile`, registered by its own module): the Kubernetes admission webhooks
 * alone over HTTPS, and the certificates the API server trusts them by.
 */
export function registerAdmission(program: Command, globals: () => GlobalOptions): Command {
  const admission = program.command("admission").description("Kubernetes admission webhooks: serve them, make their TLS certificates").exitOverride();

  addRegistryFlags(
    admission
      .command("serve")
      .description("serve POST /admission/validate and /admission/mutate over HTTPS, reloading the policies when their files change")
      .option("--policy <path>", "a policy file or a directory of *.yaml policies (default: admission.policies in vouch.yaml)")
      .option("--port <port>", "TCP port (0: any free port)", "8443")
      .option("--host <host>", "address to listen on (0.0.0.0 in a pod)", "127.0.0.1")
      .option("--tls-cert <file>", "serving certificate chain, PEM (vouch admission certs, or cert-manager's tls.crt)")
      .option("--tls-key <file>", "its private key, PEM")
      .option("--on-no-match <action>", "an image no policy covers: deny, warn or allow (default: admission.noMatch, else deny)")
      .option("--trusted-root <file>", "default trusted_root.json for keyless authorities (default: admission.trustedRoot, else Sigstore's public-good root)"),
  ).action(async (flags: ServeFlags) => {
    if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
      throw new VouchError("INPUT_USAGE", "--tls-cert and --tls-key are required: the API server calls webhooks over HTTPS only (make them with vouch admission certs)");
    }
    const port = tcpPort(flags.port);
    const config = loadConfig(globals().config);
    const opened = await openAdmissionEngine(config, resolveDataDir(globals().dataDir), { policyPath: flags.policy, noMatch: flags.onNoMatch, trustedRoot: flags.trustedRoot, registry: flags });
    const { startAdmissionServer } = await import("../../public/admission.js");
    const server = await startAdmissionServer({
      policyPath: opened.policyPath,
      host: flags.host,
      port,
      tlsCert: flags.tlsCert,
      tlsKey: flags.tlsKey,
      logger: { level: process.env.VOUCH_LOG_LEVEL ?? "warn" },
      createEngine: opened.createEngine,
    }).catch(async (error: unknown) => {
      await opened.closeStore().catch(() => {});
      throw error;
    });
    // Signal handlers before the first line a caller may wait for: a SIGTERM right after it must drain, not kill.
    const stopped = untilSignal();
    out(`vouch admission webhooks serving on ${server.url} (/admission/validate, /admission/mutate)\n`);
    out(`  ${server.engine.policies().length} policies from ${opened.policyPath} (reloaded when they change); no match: ${opened.noMatch}; decisions: ${opened.storeDescription}\n`);
    await stopped;
    err("vouch: shutting down\n");
    await server.close();
  });

  admission
    .command("certs")
    .description("make a CA and the webhook's serving certificate for SERVICE.NAMESPACE.svc; prints the caBundle for the webhook configurations")
    .requiredOption("--out <dir>", "where to write ca.crt, ca.key, tls.crt, tls.key")
    .option("--service <name>", "the webhook's Service", "vouch-admission")
    .option("--namespace <name>", "its namespace", "vouch-system")
    .option("--days <n>", "serving certificate lifetime in days", "365")
    .action(async (flags: CertsFlags) => {
      const { createAdmissionCerts } = await import("../../public/admission.js");
      const certs = createAdmissionCerts({ out: flags.out, service: flags.service, namespace: flags.namespace, days: wholeNumber(flags.days, "--days") });
      err(`wrote ${certs.files.ca}, ${certs.files.cert}, ${certs.files.key} (and ${certs.files.caKey}, keep it private)\n`);
      err(`  serving certificate for ${certs.dnsNames.join(", ")}, valid until ${certs.notAfter.toISOString()}\n`);
      err(`  kubectl -n ${flags.namespace} create secret tls ${flags.service}-tls --cert=${certs.files.cert} --key=${certs.files.key}\n`);
      err("  caBundle (clientConfig.caBundle of both webhook configurations):\n");
      out(`${certs.caBundle}\n`);
    });
  registerReconcile(admission, globals);
  return admission;
}
