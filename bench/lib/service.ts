import { spawn, type ChildProcess } from "node:child_process";

/** A long-running child of a bench (vouch serve, vouch admission serve, a registry role). */
export interface Service {
  url: string;
  child: ChildProcess;
  /** SIGTERM, SIGKILL after 30 s; once. With `checkExit`, a non-zero exit is an error (the service failed its drain). */
  stop(): Promise<void>;
}

/**
 * Starts `node ARGS` in `cwd` and waits (60 s at most) until it prints "serving on URL" (http or https), as vouch's
 * servers and the benches' roles do.
 */
export async function startService(cwd: string, args: string[], env: NodeJS.ProcessEnv, what: string, options: { checkExit?: boolean } = {}): Promise<Service> {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<number | null>((done) => child.once("exit", (code, signal) => done(code ?? (signal ? -1 : null))));
  const url = await new Promise<string>((found, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} did not start in 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.stdout!.on("data", () => {
      const match = /serving on (https?:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        found(match[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before serving:\n${stdout}\n${stderr}`));
    });
  });
  let stopped = false;
  return {
    url,
    child,
    async stop() {
      if (stopped) return;
      stopped = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await exited;
      clearTimeout(timer);
      if (options.checkExit === true && code !== 0) throw new Error(`${what} exited with ${code} on SIGTERM:\n${stderr.slice(-2000)}`);
    },
  };
}
