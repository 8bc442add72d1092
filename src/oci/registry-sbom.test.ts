import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateImageSbom } from "../api/sbom.js";
import { dpkgCatalogers } from "../catalog/dpkg/index.js";
import { sourceCatalogers } from "../catalog/registry.js";
import type { Component } from "../sbom/model/types.js";
import { IMAGE_NAMES, imagesUnavailable, testImage } from "../../test/support/images.js";
import { pushOciLayout, registryUnavailable, type RunningRegistry, startRegistry } from "../../test/support/registry.js";
import { openRegistryImage } from "./registry-image.js";

/**
 * Issue 6: the SBOM of an image pulled from a real registry (Debian's docker-registry on loopback) equals the SBOM
 * of the same image read from its OCI layout. The images are the real ones scripts/setup/images.sh builds from
 * Debian packages; they are pushed with the test push helper, then read through the registry client.
 */

const skipReason = registryUnavailable() ?? imagesUnavailable();
const EPOCH = { SOURCE_DATE_EPOCH: "1700000000" };
// The language catalogers and dpkg (the image catalogers list is the lead's to assemble in catalog/registry.ts).
const catalogers = [...sourceCatalogers, ...dpkgCatalogers];

/** The root's properties that name where the image was read from (everything else must match). */
const WHERE = new Set(["vouch:image:source", "vouch:image:repo-tag"]);

function withoutWhere(root: Component): Component {
  return { ...root, properties: root.properties.filter((p) => !WHERE.has(p.name)) };
}

describe.skipIf(skipReason !== undefined)("SBOM from a registry reference equals the SBOM from the OCI layout", () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it.each(IMAGE_NAMES.map((n) => [n]))("%s", async (name) => {
    const image = testImage(name);
    const repository = `vouch-test/${name}`;
    await pushOciLayout({ registry: registry.host, repository }, image.ociDir, "1", image.info.tag);
    const fromLayout = await generateImageSbom(image.refs["oci-dir"], { env: EPOCH, catalogers });
    const fromRegistry = await generateImageSbom(`registry:${registry.host}/${repository}:1`, {
      env: EPOCH,
      catalogers,
      openRegistry: (reference, platform) => openRegistryImage(reference, { platform }),
    });

    // every dpkg package is in it (the package set itself is the OS-packages helper's test)
    expect(fromRegistry.sbom.components.filter((c) => c.purl?.startsWith("pkg:deb/")).length).toBe(image.dpkg.length);
    expect(fromRegistry.sbom.components).toEqual(fromLayout.sbom.components);
    expect(fromRegistry.sbom.dependencies.filter((d) => d.ref !== fromRegistry.sbom.metadata.root.bomRef)).toEqual(
      fromLayout.sbom.dependencies.filter((d) => d.ref !== fromLayout.sbom.metadata.root.bomRef),
    );
    expect(fromRegistry.warnings).toEqual(fromLayout.warnings);

    // The root: the same manifest, config, platform and layers; only where it was read from differs.
    const root = fromRegistry.sbom.metadata.root;
    expect(root.version).toBe(image.info.manifestDigest);
    expect(withoutWhere(root).properties).toEqual(withoutWhere(fromLayout.sbom.metadata.root).properties);
    expect(root.properties.find((p) => p.name === "vouch:image:repo-tag")?.value).toBe(`${registry.host}/${repository}:1`);
    expect(root.properties.find((p) => p.name === "vouch:image:source")?.value).toBe(`registry:${registry.host}/${repository}:1`);
  });
});
