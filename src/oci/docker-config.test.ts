import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import { parseChallenges } from "./challenge.js";
import { parseDockerConfig, readDockerConfig, staticCredentials } from "./docker-config.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

describe("Docker config.json credentials", () => {
  const store = parseDockerConfig(readFileSync(join(FIXTURES, "docker-config/config.json"), "utf8"), "/home/u/.docker/config.json");

  it("decodes auths (base64 user:password, username + password) and files Docker Hub under its several names", () => {
    for (const name of ["docker.io", "index.docker.io", "registry-1.docker.io"]) {
      expect(store.credentialFor(name)).toEqual({
        kind: "basic",
        username: "dockeruser",
        password: "hub password",
        source: '/home/u/.docker/config.json auths["https://index.docker.io/v1/"]',
      });
    }
    expect(store.credentialFor("registry.example.com:5000")).toMatchObject({ kind: "basic", username: "alice", password: "s3cret" });
    expect(store.credentialFor("Registry.Example.com:5000")).toMatchObject({ kind: "basic", username: "alice" });
    expect(store.credentialFor("quay.io")).toMatchObject({ kind: "basic", username: "robot+ci", password: "tok" });
  });

  it("prefers an identity token (OAuth2 refresh token) over the auth beside it", () => {
    expect(store.credentialFor("login.example.org")).toMatchObject({ kind: "identity-token", username: "bob", token: "refresh-123" });
  });

  it("reports credential helpers (credHelpers, then credsStore) instead of running them", () => {
    expect(store.credentialFor("123456789012.dkr.ecr.us-east-1.amazonaws.com")).toMatchObject({ kind: "helper", helper: "docker-credential-ecr-login" });
    // ghcr.io has an empty auths entry: the secret is in the credsStore
    expect(store.credentialFor("ghcr.io")).toMatchObject({ kind: "helper", helper: "docker-credential-desktop", source: "/home/u/.docker/config.json credsStore" });
    expect(store.credentialFor("other.example")).toMatchObject({ kind: "helper", helper: "docker-credential-desktop" });
    expect(parseDockerConfig("{}", "c.json").credentialFor("other.example")).toBeUndefined();
  });

  it("refuses a corrupt config with INPUT_MALFORMED naming the file and the entry", () => {
    const corrupt = parseDockerConfig(readFileSync(join(FIXTURES, "docker-config-corrupt/config.json"), "utf8"), "cfg.json");
    const e = (() => {
      try {
        corrupt.credentialFor("r.example");
      } catch (error) {
        return error as VouchError;
      }
      throw new Error("expected an error");
    })();
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.message).toContain('auths["r.example"].auth is not base64 of "user:password"');
    for (const text of ["not json", "[]", '{"auths": 3}', '{"auths": {"a": "b"}}', '{"auths": {"a": {"auth": 1}}}', '{"credHelpers": {"a": 1}}']) {
      let caught: unknown;
      try {
        parseDockerConfig(text, "cfg.json");
      } catch (error) {
        caught = error;
      }
      expect(caught, text).toBeInstanceOf(VouchError);
      expect((caught as VouchError).code).toBe("INPUT_MALFORMED");
      expect((caught as VouchError).location.file).toBe("cfg.json");
    }
  });

  it("reads $DOCKER_CONFIG/config.json or ~/.docker/config.json; a missing file is no credentials", async () => {
    const reads: string[] = [];
    const readFile = async (path: string) => {
      reads.push(path);
      if (path === "/etc/docker-cfg/config.json") return JSON.stringify({ auths: { "r.example": { username: "u", password: "p" } } });
      throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    };
    const found = await readDockerConfig({ env: { DOCKER_CONFIG: "/etc/docker-cfg" }, home: "/home/u", readFile });
    expect(found?.credentialFor("r.example")).toMatchObject({ kind: "basic", username: "u" });
    expect(await readDockerConfig({ env: {}, home: "/home/u", readFile })).toBeUndefined();
    expect(reads).toEqual(["/etc/docker-cfg/config.json", "/home/u/.docker/config.json"]);
    const denied = readDockerConfig({ env: {}, home: "/h", readFile: async () => Promise.reject(Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" })) });
    await expect(denied).rejects.toMatchObject({ code: "INPUT_UNREADABLE" });
  });

  it("takes credentials given directly", () => {
    const given = staticCredentials({ "https://index.docker.io/v1/": { username: "u", password: "p" } });
    expect(given.credentialFor("docker.io")).toMatchObject({ kind: "basic", username: "u", password: "p" });
    expect(given.credentialFor("ghcr.io")).toBeUndefined();
  });
});

describe("WWW-Authenticate challenges", () => {
  it("parses bearer and basic challenges, quoted values with commas and escapes, several per header", () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"')).toEqual([
      { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/alpine:pull" } },
    ]);
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: "basic", params: { realm: "Registry Realm" } }]);
    expect(parseChallenges('Basic realm="a, b", Bearer Realm=https://x/t, scope="repository:a:pull,push", error="insufficient_scope"')).toEqual([
      { scheme: "basic", params: { realm: "a, b" } },
      { scheme: "bearer", params: { realm: "https://x/t", scope: "repository:a:pull,push", error: "insufficient_scope" } },
    ]);
    expect(parseChallenges('Bearer realm="say \\"hi\\""')[0]!.params.realm).toBe('say "hi"');
  });

  it("survives garbage", () => {
    for (const header of ["", ",,,", "=", '"', "Bearer realm=", 'Bearer realm="unterminated', "\u0000\u00ff", "Bearer ====="]) {
      expect(() => parseChallenges(header)).not.toThrow();
    }
    expect(parseChallenges("Bearer realm=")).toEqual([{ scheme: "bearer", params: { realm: "" } }]);
  });
});
