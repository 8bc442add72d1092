// Pushes an npm package tarball to a registry as a one-layer OCI image (an npm .tgz is a gzipped tar, so it is a
// valid image layer as it is), for the demo's image-signing step. Usage: node demo-image.mjs HOST REPO TAG FILE
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import process from "node:process";
import { URL } from "node:url";
import { gunzipSync } from "node:zlib";

const { fetch } = globalThis;

const [host, repository, tag, file] = process.argv.slice(2);
const base = `http://${host}/v2/${repository}`;
const sha256 = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function pushBlob(bytes) {
  const digest = sha256(bytes);
  const started = await fetch(`${base}/blobs/uploads/`, { method: "POST" });
  if (started.status !== 202) throw new Error(`starting an upload: HTTP ${started.status}`);
  const location = new URL(started.headers.get("location"), `http://${host}/`);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: bytes });
  if (put.status !== 201) throw new Error(`uploading ${digest}: HTTP ${put.status}`);
  return { digest, size: bytes.length };
}

const layer = readFileSync(file);
const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [sha256(gunzipSync(layer))] } }));
const layerDescriptor = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...(await pushBlob(layer)) };
const configDescriptor = { mediaType: "application/vnd.oci.image.config.v1+json", ...(await pushBlob(config)) };
const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: configDescriptor, layers: [layerDescriptor] }));
const put = await fetch(`${base}/manifests/${tag}`, { method: "PUT", headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" }, body: manifest });
if (put.status !== 201) throw new Error(`pushing the manifest: HTTP ${put.status} ${await put.text()}`);
process.stdout.write(`${host}/${repository}:${tag}\n`);
