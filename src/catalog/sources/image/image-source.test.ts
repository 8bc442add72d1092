import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildImage, memoryLayout, tar, type ImageInput, type TarInput } from "../../../../test/support/oci-builder.js";
import { rejectedVouchError } from "../../../../test/support/errors.js";
import { sourceCatalogers } from "../../registry.js";
import type { Cataloger } from "../../types.js";
import { ImageSource, type ImageSourceOptions } from "./image-source.js";

const catalogers: readonly Cataloger[] = sourceCatalogers;

async function open(input: ImageInput, options: Partial<ImageSourceOptions> = {}) {
  const image = buildImage(input);
  const layout = memoryLayout(image);
  const source = await ImageSource.open(layout, { catalogers, ...options });
  return { source, image, layout };
}

function paths(source: ImageSource): string[] {
  return [...source.entries()].map((e) => `${e.path}${e.type === "dir" ? "/" : e.type === "symlink" ? ` -> ${e.linkTarget}` : ""}`);
}

async function expectVouchError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const err = await rejectedVouchError(() => promise);
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
}

const file = (name: string, body: string, extra: Partial<TarInput> = {}): TarInput => ({ name, body, ...extra });

describe("ImageSource: squashing layers", () => {
  it("applies layers in order over gzip, plain and zstd layers; later layers win", async () => {
    const { source, layout } = await open({
      layers: [
        { compression: "gzip", entries: [{ name: "etc/", type: "dir" }, file("etc/os-release", "ID=debian\n"), file("app/package.json", '{"name":"a","version":"1.0.0"}')] },
        { compression: "none", entries: [file("app/package.json", '{"name":"a","version":"2.0.0"}')] },
        { compression: "zstd", entries: [file("usr/bin/tool", "binary")] },
      ],
    });
    expect(layout.closed).toBe(true);
    expect(source.files()).toEqual(["app/package.json", "etc/os-release", "usr/bin/tool"]);
    expect(source.readFile("app/package.json")).toContain("2.0.0");
    expect(source.originOf("app/package.json")).toMatchObject({ index: 1, createdBy: "layer 1" });
    expect(source.originOf("etc/os-release")).toMatchObject({ index: 0 });
    expect(source.image.layers.map((l) => l.mediaType)).toEqual([
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+zstd",
    ]);
    // Not wanted by any cataloger: metadata only.
    expect(source.stat("usr/bin/tool")).toMatchObject({ type: "file", size: 6, layer: 2 });
    expect(source.readBytes("usr/bin/tool")).toBeUndefined();
    expect(source.warnings).toEqual([]);
  });

  it("whiteouts remove a file or a whole directory of lower layers", async () => {
    const { source } = await open({
      layers: [
        { entries: [file("a/keep.txt", "k"), file("a/gone.txt", "g"), file("b/x/package.json", "{}"), file("b/y.txt", "y")] },
        { entries: [file("a/.wh.gone.txt", ""), file("b/.wh.x", ""), file(".wh.nothing-there", "")] },
      ],
    });
    expect(paths(source)).toEqual(["a/", "a/keep.txt", "b/", "b/y.txt"]);
  });

  it("an opaque directory hides everything lower layers put below it, not what its own layer wrote (in any order)", async () => {
    const { source } = await open({
      layers: [
        { entries: [file("d/old.txt", "o"), file("d/sub/deep.txt", "d"), file("other/stay.txt", "s")] },
        { entries: [file("d/sub/new.txt", "n"), file("d/.wh..wh..opq", ""), file("d/new.txt", "n")] },
      ],
    });
    expect(paths(source)).toEqual(["d/", "d/new.txt", "d/sub/", "d/sub/new.txt", "other/", "other/stay.txt"]);
  });

  it("a whiteout then a re-add in a later layer brings the file back, attributed to the later layer", async () => {
    const { source } = await open({
      layers: [{ entries: [file("app/package.json", "{}")] }, { entries: [file("app/.wh.package.json", "")] }, { entries: [file("app/package.json", '{"v":3}')] }],
    });
    expect(source.readFile("app/package.json")).toBe('{"v":3}');
    expect(source.originOf("app/package.json")?.index).toBe(2);
  });

  it("hard links share the target's content, also across layers; a missing target is a warning", async () => {
    const { source } = await open({
      layers: [
        { entries: [file("usr/lib/os-release", "ID=alpine\n")] },
        {
          entries: [
            { name: "etc/os-release", type: "hardlink", linkName: "usr/lib/os-release" },
            { name: "etc/missing", type: "hardlink", linkName: "usr/lib/nope" },
          ],
        },
      ],
    });
    expect(source.readFile("etc/os-release")).toBe("ID=alpine\n");
    expect(source.originOf("etc/os-release")?.index).toBe(1);
    expect(source.warnings).toEqual([{ file: "etc/missing", message: 'hard link to missing target "usr/lib/nope"; skipped' }]);
  });

  it("symlinks resolve inside the image (absolute targets and .. start at the image root); cycles are warned about", async () => {
    const { source } = await open({
      layers: [
        {
          entries: [
            file("usr/lib/os-release", "ID=debian\n"),
            { name: "etc/os-release", type: "symlink", linkName: "../usr/lib/os-release" },
            { name: "etc/abs-release", type: "symlink", linkName: "/usr/lib/os-release" },
            { name: "escape", type: "symlink", linkName: "../../../../usr/lib/os-release" },
            { name: "lib", type: "symlink", linkName: "usr/lib" },
            { name: "loop/a", type: "symlink", linkName: "b" },
            { name: "loop/b", type: "symlink", linkName: "a" },
            { name: "self", type: "symlink", linkName: "self/x" },
          ],
        },
      ],
    });
    expect(source.readFile("etc/os-release")).toBe("ID=debian\n");
    expect(source.readFile("etc/abs-release")).toBe("ID=debian\n");
    expect(source.readFile("escape")).toBe("ID=debian\n");
    expect(source.readFile("lib/os-release")).toBe("ID=debian\n");
    expect(source.listDir("lib")).toEqual(["os-release"]);
    expect(source.readFile("loop/a")).toBeUndefined();
    expect(source.files()).toEqual(["usr/lib/os-release"]);
    expect(source.warnings.map((w) => w.file).sort()).toEqual(["loop/a", "loop/b", "self"]);
    expect(source.warnings.every((w) => w.message.startsWith("symlink loop"))).toBe(true);
  });

  it("entries through a symlinked parent land where the link points, as a layer applier writes them", async () => {
    const { source } = await open({
      layers: [{ entries: [{ name: "usr/lib/", type: "dir" }, { name: "lib", type: "symlink", linkName: "/usr/lib" }] }, { entries: [file("lib/node_modules/.package-lock.json", "{}")] }],
    });
    expect(source.files()).toEqual(["usr/lib/node_modules/.package-lock.json"]);
  });

  it("'..' and absolute entry names are normalised with a warning; names that climb out are refused", async () => {
    const { source } = await open({
      layers: [{ entries: [file("/abs/package.json", "{}"), file("a/../b/package.json", "{}"), file("../../etc/passwd", "root"), file("x/../../outside", "no")] }],
    });
    expect(source.files()).toEqual(["abs/package.json", "b/package.json"]);
    expect(source.warnings.map((w) => w.message)).toEqual([
      'layer 0 (' + source.image.layers[0]!.digest + '): entry "/abs/package.json" is an absolute path; read as "abs/package.json"',
      'layer 0 (' + source.image.layers[0]!.digest + '): entry "a/../b/package.json" has ".." segments; read as "b/package.json"',
      'layer 0 (' + source.image.layers[0]!.digest + '): entry "../../etc/passwd" climbs out of the image root; refused',
      'layer 0 (' + source.image.layers[0]!.digest + '): entry "x/../../outside" climbs out of the image root; refused',
    ]);
  });

  it("long names (PAX) and GNU long names are read", async () => {
    const long = `${"deep/".repeat(30)}package.json`;
    const gnu = gnuLongNameTar(`${"gnu/".repeat(40)}package.json`, "{}");
    const { source } = await open({ layers: [{ entries: [file(long, "{}")] }, { tarBytes: gnu }] });
    expect(source.files()).toEqual([`${"deep/".repeat(30)}package.json`, `${"gnu/".repeat(40)}package.json`]);
    expect(source.readFile(`${"gnu/".repeat(40)}package.json`)).toBe("{}");
  });

  it("history entries with empty_layer: true consume no layer", async () => {
    const { source } = await open({
      layers: [{ createdBy: "ADD rootfs.tar /", entries: [file("a", "")] }, { createdBy: "RUN npm ci", entries: [file("b", "")] }],
      emptyHistoryBefore: { 1: "ENV NODE_ENV=production" },
    });
    expect(source.image.layers.map((l) => l.createdBy)).toEqual(["ADD rootfs.tar /", "RUN npm ci"]);
  });
});

describe("ImageSource: refusing bad images", () => {
  const good: ImageInput = { layers: [{ entries: [file("a", "a".repeat(5000))] }] };

  it("a layer whose bytes do not match its digest is an error", async () => {
    const image = buildImage({ layers: [{ entries: [file("a", "x")], mutateBlob: (b) => gzipSync(tar([file("a", "y")])).subarray(0, b.length) }] });
    await expectVouchError(ImageSource.open(memoryLayout(image), { catalogers }), "INPUT_MALFORMED", /digest mismatch|diffID mismatch|corrupt/);
  });

  it("a flipped byte in a plain layer is a digest mismatch", async () => {
    const image = buildImage({
      layers: [{ compression: "none", entries: [file("a", "hello")], mutateBlob: (b) => Object.assign(new Uint8Array(b), { [600]: b[600]! ^ 1 }) }],
    });
    await expectVouchError(ImageSource.open(memoryLayout(image), { catalogers }), "INPUT_MALFORMED", /layer 0 .*digest mismatch/);
  });

  it("a manifest that does not match its digest is refused before anything is read", async () => {
    const image = buildImage(good);
    const layout = memoryLayout(image);
    const tampered = { ...layout, manifest: { descriptor: image.manifest.descriptor, bytes: new TextEncoder().encode(new TextDecoder().decode(image.manifest.bytes).replace('"schemaVersion":2', '"schemaVersion":2 ')) } };
    await expectVouchError(ImageSource.open(tampered, { catalogers }), "INPUT_MALFORMED", /bytes where the descriptor says|digest mismatch/);
  });

  it("a config that does not match its digest is refused", async () => {
    const image = buildImage(good);
    image.blobs.set(image.config.descriptor.digest, new TextEncoder().encode(new TextDecoder().decode(image.config.bytes).replace("amd64", "arm64")));
    await expectVouchError(ImageSource.open(memoryLayout(image), { catalogers }), "INPUT_MALFORMED", /config .*digest mismatch/);
  });

  it("a truncated gzip layer is an error", async () => {
    const image = buildImage({ layers: [{ entries: [file("a", "x".repeat(100_000))], mutateBlob: (b) => b.subarray(0, b.length - 40) }] });
    await expectVouchError(ImageSource.open(memoryLayout(image), { catalogers }), "INPUT_MALFORMED", /truncated|corrupt/);
  });

  it("a tar cut inside an entry is an error even when the digests match (the layer was built truncated)", async () => {
    const whole = tar([file("a", "x".repeat(3000))], { noEnd: true });
    const image = buildImage({ layers: [{ tarBytes: whole.subarray(0, 1024) }] });
    await expectVouchError(ImageSource.open(memoryLayout(image), { catalogers }), "INPUT_MALFORMED", /tar stream truncated in "a"/);
  });

  it("a header with a bad checksum is an error", async () => {
    const bytes = tar([file("a", "x")]);
    bytes[0] = "b".charCodeAt(0);
    const image = buildImage({ layers: [{ tarBytes: bytes }] });
    await expectVouchError(ImageSource.open(memoryLayout(image), { catalogers }), "INPUT_MALFORMED", /checksum/);
  });

  it("a decompression bomb stops at the per-layer cap", async () => {
    // 64 MiB of zeros gzip to ~64 KiB; the cap is 1 MiB.
    const image = buildImage({ layers: [{ entries: [{ name: "bomb", body: new Uint8Array(64 * 1024 * 1024) }] }] });
    expect(image.layers[0]!.descriptor.size).toBeLessThan(256 * 1024);
    await expectVouchError(ImageSource.open(memoryLayout(image), { catalogers, maxLayerBytes: 1024 * 1024 }), "INPUT_TOO_LARGE", /decompresses to more than 1048576 bytes/);
  });

  it("an unknown layer media type is refused with its name", async () => {
    const image = buildImage({ layers: [{ entries: [file("a", "")], mediaType: "application/vnd.example.layer.v1+squashfs" }] });
    await expectVouchError(ImageSource.open(memoryLayout(image), { catalogers }), "INPUT_UNSUPPORTED_FORMAT", /unsupported layer media type application\/vnd\.example\.layer\.v1\+squashfs/);
  });

  it("a manifest whose config is not an image config (an artifact) is refused", async () => {
    const image = buildImage({ ...good, configMediaType: "application/vnd.cncf.helm.config.v1+json" });
    await expectVouchError(ImageSource.open(memoryLayout(image), { catalogers }), "INPUT_UNSUPPORTED_FORMAT", /helm/);
  });

  it("a wanted file over the per-file limit keeps metadata only, with a warning the catalog counts as skipped", async () => {
    const { source } = await open({ layers: [{ entries: [file("app/package-lock.json", "x".repeat(2000))] }] }, { maxFileBytes: 1000 });
    expect(source.readFile("app/package-lock.json")).toBeUndefined();
    expect(source.stat("app/package-lock.json")).toMatchObject({ size: 2000 });
    expect(source.warnings).toEqual([{ file: "app/package-lock.json", message: "larger than the 1000-byte limit (2000 bytes); content not kept", fileSkipped: true }]);
  });

  it("more entries than the limit is INPUT_TOO_LARGE", async () => {
    const entries = Array.from({ length: 50 }, (_, i) => file(`f${i}`, ""));
    await expectVouchError(open({ layers: [{ entries }] }, { maxEntries: 10 }), "INPUT_TOO_LARGE", /more than 10 entries/);
  });
});

describe("ImageSource: memory", () => {
  it("keeps wanted files and metadata only: a large unwanted file is streamed past, not held", async () => {
    const big = new Uint8Array(96 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    const image = buildImage({ layers: [{ compression: "gzip", entries: [file("app/package.json", "{}"), { name: "opt/big.bin", body: big }] }] });
    const layout = memoryLayout(image);
    global.gc?.();
    const before = process.memoryUsage();
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const source = await ImageSource.open(layout, { catalogers });
    clearInterval(timer);
    const after = process.memoryUsage();
    expect(source.retainedBytes).toBe(2);
    expect(source.stat("opt/big.bin")?.size).toBe(big.length);
    // What the view holds is tiny; the process as a whole must not have held the 96 MiB file again.
    const growth = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    console.log(`memory: heap+arrayBuffers grew ${(growth / 1048576).toFixed(1)} MiB, rss peak ${(peak / 1048576).toFixed(0)} MiB (input blob ${(image.layers[0]!.descriptor.size / 1048576).toFixed(1)} MiB, tar 96 MiB)`);
    expect(growth).toBeLessThan(32 * 1024 * 1024);
  });
});

/** A tar with a GNU 'L' long-name entry (what GNU tar writes for names over 100 bytes). */
function gnuLongNameTar(name: string, body: string): Uint8Array {
  const enc = new TextEncoder();
  const nameBytes = enc.encode(`${name}\0`);
  const header = (n: string, flag: string, size: number) => {
    const b = new Uint8Array(512);
    b.set(enc.encode(n).subarray(0, 100), 0);
    b.set(enc.encode("0000644\0"), 100);
    b.set(enc.encode(size.toString(8).padStart(11, "0") + "\0"), 124);
    b.set(enc.encode("        "), 148);
    b[156] = flag.charCodeAt(0);
    b.set(enc.encode("ustar  \0"), 257);
    let sum = 0;
    for (const x of b) sum += x;
    b.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    return b;
  };
  const pad = (n: number) => new Uint8Array((512 - (n % 512)) % 512);
  const bodyBytes = enc.encode(body);
  return Buffer.concat([header("././@LongLink", "L", nameBytes.length), nameBytes, pad(nameBytes.length), header(name.slice(0, 100), "0", bodyBytes.length), bodyBytes, pad(bodyBytes.length), new Uint8Array(1024)]);
}
