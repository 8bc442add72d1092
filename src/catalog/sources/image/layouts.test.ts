import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { generateImageSbom } from "../../../api/sbom.js";
import { rejectedVouchError } from "../../../../test/support/errors.js";
import {
  archive,
  buildImage,
  legacyDockerSaveFiles,
  memoryLayout,
  ociDockerSaveFiles,
  ociLayoutFiles,
  sha256,
  writeFiles,
  type ImageInput,
} from "../../../../test/support/oci-builder.js";
import { sourceCatalogers } from "../../registry.js";
import { ImageSource } from "./image-source.js";
import { openLocalImage, parseLocalImageReference } from "./reference.js";

const work = mkdtempSync(join(tmpdir(), "vouch-image-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => join(work, `${n++}-${name}`);

async function expectVouchError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await rejectedVouchError(() => promise);
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
}

/** An npm application image: the manifest in one layer, the installed tree in the next (COPY, then RUN npm ci). */
const npmApp: ImageInput = {
  layers: [
    {
      createdBy: "COPY package.json /usr/src/app/",
      entries: [
        { name: "etc/os-release", body: 'ID=debian\nVERSION_ID="12"\n' },
        { name: "usr/src/app/package.json", body: JSON.stringify({ name: "app", version: "1.0.0", dependencies: { "left-pad": "^1.3.0" } }) },
      ],
    },
    {
      createdBy: "RUN npm ci --omit=dev",
      entries: [
        {
          name: "usr/src/app/node_modules/.package-lock.json",
          body: JSON.stringify({
            name: "app",
            version: "1.0.0",
            lockfileVersion: 3,
            requires: true,
            packages: { "node_modules/left-pad": { version: "1.3.0", resolved: "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", license: "WTFPL" } },
          }),
        },
        { name: "usr/src/app/node_modules/left-pad/package.json", body: JSON.stringify({ name: "left-pad", version: "1.3.0", license: "WTFPL" }) },
        { name: "usr/src/app/node_modules/left-pad/index.js", body: "module.exports = leftPad;" },
        { name: "usr/src/app/node_modules/left-pad/package-lock.json", body: "{}" },
      ],
    },
  ],
  emptyHistoryBefore: { 1: "WORKDIR /usr/src/app" },
  manifestAnnotations: { "org.opencontainers.image.base.name": "docker.io/library/debian:12", "org.opencontainers.image.base.digest": `sha256:${"b".repeat(64)}` },
};

describe("local image layouts", () => {
  const image = buildImage(npmApp);
  const ociDir = writeFiles(fresh("oci"), ociLayoutFiles([{ image, refName: "1.0" }]));
  const ociTar = fresh("oci.tar");
  writeFileSync(ociTar, archive(ociLayoutFiles([{ image, refName: "registry.example/team/app:1.0" }])));

  it("parses transports, and a :REF suffix only when the path with it does not exist", () => {
    expect(parseLocalImageReference(`oci-dir:${ociDir}`)).toEqual({ transport: "oci-dir", path: ociDir });
    expect(parseLocalImageReference(`oci-dir:${ociDir}:1.0`)).toEqual({ transport: "oci-dir", path: ociDir, ref: "1.0" });
    expect(parseLocalImageReference(`docker-archive:${ociTar}:repo/app:tag`)).toEqual({ transport: "docker-archive", path: ociTar, ref: "repo/app:tag" });
    expect(parseLocalImageReference("registry:localhost:5000/app")).toBeUndefined();
    expect(parseLocalImageReference("./dir")).toBeUndefined();
  });

  it("oci-dir: and oci-archive: give the same image, ref.name picks the image", async () => {
    const fromDir = await ImageSource.open(await openLocalImage({ transport: "oci-dir", path: ociDir, ref: "1.0" }), { catalogers: sourceCatalogers });
    const fromTar = await ImageSource.open(await openLocalImage({ transport: "oci-archive", path: ociTar }), { catalogers: sourceCatalogers });
    expect(fromDir.image.manifestDigest).toBe(image.manifest.descriptor.digest);
    expect(fromTar.image.manifestDigest).toBe(image.manifest.descriptor.digest);
    expect(fromTar.files()).toEqual(fromDir.files());
    expect(fromTar.image.repoTags).toEqual(["registry.example/team/app:1.0"]);
    await expectVouchError(openLocalImage({ transport: "oci-dir", path: ociDir, ref: "2.0" }), "INPUT_NOT_FOUND", /no image named "2.0" \(names: 1.0\)/);
  });

  it("a multi-platform index: the host's platform by default, --platform picks another, a missing one is named", async () => {
    const amd = buildImage({ layers: [{ entries: [{ name: "arch", body: "amd64" }] }], platform: { os: "linux", architecture: "amd64" } });
    const arm = buildImage({ layers: [{ entries: [{ name: "arch", body: "arm64" }] }], platform: { os: "linux", architecture: "arm64", variant: "v8" } });
    const dir = writeFiles(fresh("multi"), ociLayoutFiles([{ image: amd }, { image: arm }], { nestedIndex: true }));
    const pick = async (platform?: { os: string; architecture: string; variant?: string }) =>
      (await ImageSource.open(await openLocalImage({ transport: "oci-dir", path: dir }, { platform }), { catalogers: sourceCatalogers })).image;
    const host = await pick();
    expect(host.platform).toEqual({ os: "linux", architecture: "amd64" });
    expect(host.indexDigest).toMatch(/^sha256:/);
    expect((await pick({ os: "linux", architecture: "arm64" })).manifestDigest).toBe(arm.manifest.descriptor.digest);
    await expectVouchError(pick({ os: "linux", architecture: "s390x" }), "INPUT_USAGE", /no image for linux\/s390x \(it has: linux\/amd64, linux\/arm64\/v8\)/);
  });

  it("a legacy docker save (manifest.json, <hex>.json, <id>/layer.tar) is read with every layer checked against its diffID", async () => {
    const plain = buildImage({ ...npmApp, layers: npmApp.layers.map((l) => ({ ...l, compression: "none" as const })) });
    const file = fresh("docker.tar");
    writeFileSync(file, archive(legacyDockerSaveFiles(plain, ["team/app:1.0"])));
    const source = await ImageSource.open(await openLocalImage({ transport: "docker-archive", path: file }), { catalogers: sourceCatalogers });
    expect(source.image.synthesizedManifest).toBe(true);
    expect(source.image.configDigest).toBe(plain.config.descriptor.digest);
    expect(source.image.layers.map((l) => l.digest)).toEqual(plain.layers.map((l) => l.diffId));
    expect(source.image.repoTags).toEqual(["team/app:1.0"]);
    expect(source.readFile("usr/src/app/node_modules/left-pad/package.json")).toContain("1.3.0");
  });

  it("a legacy docker save whose layer.tar was altered is refused (diffID mismatch)", async () => {
    const plain = buildImage({ layers: [{ compression: "none", entries: [{ name: "a", body: "original" }] }] });
    const files = legacyDockerSaveFiles(plain, ["x:1"]);
    const layerPath = Object.keys(files).find((p) => p.endsWith("layer.tar"))!;
    files[layerPath] = Buffer.from(Buffer.from(files[layerPath]!).toString("latin1").replace("original", "tampered"), "latin1");
    const file = fresh("tampered.tar");
    writeFileSync(file, archive(files));
    await expectVouchError(
      (async () => ImageSource.open(await openLocalImage({ transport: "docker-archive", path: file }), { catalogers: sourceCatalogers }))(),
      "INPUT_MALFORMED",
      /digest mismatch/,
    );
  });

  it("a Docker 25+ docker save (an OCI layout with manifest.json) is read as the OCI layout it is, tags from manifest.json", async () => {
    const file = fresh("docker25.tar");
    writeFileSync(file, archive(ociDockerSaveFiles(image, ["team/app:1.0", "team/app:latest"])));
    const source = await ImageSource.open(await openLocalImage({ transport: "docker-archive", path: file }), { catalogers: sourceCatalogers });
    expect(source.image.synthesizedManifest).toBe(false);
    expect(source.image.manifestDigest).toBe(image.manifest.descriptor.digest);
    expect(source.image.repoTags).toEqual(["team/app:1.0", "team/app:latest"]);
  });

  it("refuses compressed archives, missing blobs, tampered index entries and non-layouts with clear errors", async () => {
    const gz = fresh("oci.tar.gz");
    writeFileSync(gz, gzipSync(archive(ociLayoutFiles([{ image }]))));
    await expectVouchError(openLocalImage({ transport: "oci-archive", path: gz }), "INPUT_UNSUPPORTED_FORMAT", /gzip-compressed: decompress it first/);

    const files = ociLayoutFiles([{ image }]);
    delete files[`blobs/${image.layers[1]!.descriptor.digest.replace(":", "/")}`];
    const missing = writeFiles(fresh("missing"), files);
    await expectVouchError(
      (async () => ImageSource.open(await openLocalImage({ transport: "oci-dir", path: missing }), { catalogers: sourceCatalogers }))(),
      "INPUT_NOT_FOUND",
      /blob sha256:[a-f0-9]+ is missing/,
    );

    const tampered = ociLayoutFiles([{ image }]);
    tampered[`blobs/${image.manifest.descriptor.digest.replace(":", "/")}`] = new TextEncoder().encode(new TextDecoder().decode(image.manifest.bytes).replace("amd64", "arm64").replace("gzip", "gzi "));
    await expectVouchError(openLocalImage({ transport: "oci-dir", path: writeFiles(fresh("tampered"), tampered) }), "INPUT_MALFORMED", /digest mismatch/);

    const notLayout = fresh("plain");
    mkdirSync(notLayout);
    await expectVouchError(openLocalImage({ transport: "oci-dir", path: notLayout }), "INPUT_MALFORMED", /no oci-layout file/);
    await expectVouchError(openLocalImage({ transport: "oci-archive", path: join(work, "nope.tar") }), "INPUT_NOT_FOUND", /no such file/);

    const artifact = ociLayoutFiles([{ image }]);
    const index = JSON.parse(new TextDecoder().decode(artifact["index.json"])) as { manifests: { mediaType: string }[] };
    index.manifests[0]!.mediaType = "application/vnd.oci.artifact.manifest.v1+json";
    artifact["index.json"] = new TextEncoder().encode(JSON.stringify(index));
    await expectVouchError(openLocalImage({ transport: "oci-dir", path: writeFiles(fresh("artifact"), artifact) }), "INPUT_UNSUPPORTED_FORMAT", /names no image manifest or index \(media types: application\/vnd\.oci\.artifact\.manifest\.v1\+json\)/);
  });
});

describe("generateImageSbom", () => {
  const image = buildImage(npmApp);
  const ociDir = writeFiles(fresh("sbom-oci"), ociLayoutFiles([{ image, refName: "registry.example/team/app:1.0" }]));

  it("catalogs an npm application inside an image, each component recording the layer that brought it", async () => {
    const { sbom, warnings } = await generateImageSbom(`oci-dir:${ociDir}`, { env: { SOURCE_DATE_EPOCH: "1700000000" } });
    expect(warnings).toEqual([]);
    const root = sbom.metadata.root;
    expect(root).toMatchObject({ type: "container", name: "registry.example/team/app", version: image.manifest.descriptor.digest });
    expect(root.purl).toBe(`pkg:oci/app@${encodeURIComponent(image.manifest.descriptor.digest)}?arch=amd64&repository_url=registry.example/team/app&tag=1.0`);
    expect(root.hashes).toEqual([{ alg: "SHA-256", content: image.manifest.descriptor.digest.slice(7) }]);
    const prop = (name: string) => root.properties.filter((p) => p.name === name).map((p) => p.value);
    expect(prop("vouch:image:config-digest")).toEqual([image.config.descriptor.digest]);
    expect(prop("vouch:image:platform")).toEqual(["linux/amd64"]);
    expect(prop("vouch:image:repo-tag")).toEqual(["registry.example/team/app:1.0"]);
    expect(prop("vouch:image:base-name")).toEqual(["docker.io/library/debian:12"]);
    expect(prop("vouch:image:base-digest")).toEqual([`sha256:${"b".repeat(64)}`]);

    const leftPad = sbom.components.find((c) => c.name === "left-pad")!;
    expect(leftPad.version).toBe("1.3.0");
    expect(leftPad.foundIn).toContain("usr/src/app/node_modules/.package-lock.json");
    expect(leftPad.properties).toEqual(
      expect.arrayContaining([
        { name: "vouch:layer:digest", value: image.layers[1]!.descriptor.digest },
        { name: "vouch:layer:diffID", value: image.layers[1]!.diffId },
        { name: "vouch:layer:index", value: "1" },
        { name: "vouch:layer:createdBy", value: "RUN npm ci --omit=dev" },
      ]),
    );
    // The application is a component of the image, not the root; the lockfile inside a package is not a project.
    const app = sbom.components.find((c) => c.name === "app")!;
    expect(app.type).toBe("application");
    expect(sbom.dependencies.find((d) => d.ref === root.bomRef)?.dependsOn).toContain(app.bomRef);
    expect(sbom.components.map((c) => c.name).sort()).toEqual(["app", "left-pad"]);
  });

  it("a package database several layers rewrite credits each package to the layer that introduced it", async () => {
    const lock = (packages: Record<string, string>) => ({
      name: "usr/src/app/node_modules/.package-lock.json",
      body: JSON.stringify({ name: "app", version: "1.0.0", lockfileVersion: 3, packages: Object.fromEntries(Object.entries(packages).map(([n, v]) => [`node_modules/${n}`, { version: v }])) }),
    });
    const layered = buildImage({
      layers: [
        { createdBy: "RUN npm i left-pad", entries: [lock({ "left-pad": "1.3.0", "is-odd": "3.0.0" })] },
        { createdBy: "RUN npm i is-even", entries: [lock({ "left-pad": "1.3.0", "is-odd": "3.0.0", "is-even": "1.0.0" })] },
        { createdBy: "RUN npm update is-odd", entries: [lock({ "left-pad": "1.3.0", "is-odd": "3.0.1", "is-even": "1.0.0" })] },
      ],
    });
    const dir = writeFiles(fresh("layered"), ociLayoutFiles([{ image: layered }]));
    const { sbom } = await generateImageSbom(`oci-dir:${dir}`);
    const layerOf = (name: string) => sbom.components.find((c) => c.name === name)?.properties.find((p) => p.name === "vouch:layer:createdBy")?.value;
    expect(layerOf("left-pad")).toBe("RUN npm i left-pad");
    expect(layerOf("is-even")).toBe("RUN npm i is-even");
    expect(layerOf("is-odd")).toBe("RUN npm update is-odd");
    expect(sbom.components.find((c) => c.name === "is-even")?.properties).toContainEqual({ name: "vouch:layer:diffID", value: layered.layers[1]!.diffId });
  });

  it("the same image from oci-dir:, oci-archive: and an in-memory layout (what a registry client hands over) gives the same SBOM", async () => {
    const tar = fresh("sbom.tar");
    writeFileSync(tar, archive(ociLayoutFiles([{ image, refName: "registry.example/team/app:1.0" }])));
    const env = { SOURCE_DATE_EPOCH: "1700000000" };
    const strip = (s: Awaited<ReturnType<typeof generateImageSbom>>) => ({
      ...s.sbom,
      metadata: { ...s.sbom.metadata, root: { ...s.sbom.metadata.root, properties: s.sbom.metadata.root.properties.filter((p) => p.name !== "vouch:image:source") } },
    });
    const a = strip(await generateImageSbom(`oci-dir:${ociDir}`, { env }));
    const b = strip(await generateImageSbom(`oci-archive:${tar}`, { env }));
    const c = strip(
      await generateImageSbom("registry:registry.example/team/app:1.0", {
        env,
        openRegistry: async (ref) => {
          expect(ref).toBe("registry.example/team/app:1.0");
          return memoryLayout(image, "registry:registry.example/team/app:1.0", ["registry.example/team/app:1.0"]);
        },
      }),
    );
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it("rootfs: reads an unpacked root file system, absolute links resolved inside it", async () => {
    const root = fresh("rootfs");
    mkdirSync(join(root, "usr/lib"), { recursive: true });
    mkdirSync(join(root, "etc"), { recursive: true });
    mkdirSync(join(root, "usr/src/app/node_modules/left-pad"), { recursive: true });
    writeFileSync(join(root, "usr/lib/os-release"), "ID=debian\n");
    const { symlinkSync } = await import("node:fs");
    symlinkSync("/usr/lib/os-release", join(root, "etc/os-release"));
    for (const layer of npmApp.layers) for (const e of layer.entries ?? []) if (e.name.startsWith("usr/src")) writeFileSync(join(root, e.name), e.body as string);
    // Links to directories (Debian's usr/share/doc/libstdc++6 -> gcc-12-base) and loops (a -> b -> a).
    mkdirSync(join(root, "usr/share/doc/gcc-12-base"), { recursive: true });
    symlinkSync("gcc-12-base", join(root, "usr/share/doc/libstdc++6"));
    symlinkSync("b", join(root, "usr/a"));
    symlinkSync("a", join(root, "usr/b"));
    const { sbom, warnings } = await generateImageSbom(`rootfs:${root}`);
    // Listing does not follow links (as in an image): neither the loop nor the directory link is walked.
    expect(warnings).toEqual([]);
    expect(sbom.metadata.root).toMatchObject({ type: "container", name: root.slice(root.lastIndexOf("/") + 1) });
    expect(sbom.components.map((c) => c.name).sort()).toEqual(["app", "left-pad"]);
    const { RootfsSource } = await import("./rootfs.js");
    const rootfs = new RootfsSource(root);
    expect(rootfs.readFile("etc/os-release")).toBe("ID=debian\n");
    expect(rootfs.readFile("usr/a")).toBeUndefined();
    expect(rootfs.listDir("usr/share/doc/libstdc++6")).toEqual([]);
    expect(rootfs.files()).toContain("usr/src/app/node_modules/left-pad/package.json");
    expect(rootfs.files()).not.toContain("usr/src/app/node_modules/left-pad/package-lock.json");
  });

  it("refuses references it cannot read", async () => {
    await expectVouchError(generateImageSbom(`rootfs:${join(work, "absent")}`), "INPUT_NOT_FOUND", /no such directory/);
    await expectVouchError(generateImageSbom(`oci-dir:${join(work, "absent")}`), "INPUT_NOT_FOUND", /no such directory/);
    await expectVouchError(generateImageSbom(`oci-dir:${ociDir}`, { platform: "linux" }), "INPUT_USAGE", /--platform takes os\/arch/);
  });

  it("sha256 of the manifest bytes is the digest everything is named by", () => {
    expect(sha256(image.manifest.bytes)).toBe(image.manifest.descriptor.digest);
  });
});
