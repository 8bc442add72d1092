import { parsePurl, type ParsedPurl } from "../../sbom/model/purl.js";
import { ecosystemString, LANGUAGE_PURL_ECOSYSTEMS, normalizePackageName } from "./ecosystems.js";

/**
 * From a component's package URL to the (ecosystem, name, version) an OSV advisory speaks of.
 *
 * Language packages map by purl type (purl-spec PURL-TYPES ↔ OSV defined ecosystems). OS packages map to the
 * distribution's ecosystem with its release, and to the SOURCE package, because Debian, Ubuntu, Alpine and the
 * RPM distributions publish advisories per source package (`openssl`, not `libssl3`):
 *
 * - deb (vouch, syft): `pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl`;
 *   `upstream=<source>@<source version>` when the binary's version differs from its source's (binNMUs, one
 *   source building packages of other versions). trivy writes no `upstream` and `distro=debian-12.4`.
 * - apk (vouch, syft): `pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl`
 *   (`upstream` is the origin aport). trivy writes `distro=3.19.1`, without the id.
 * - rpm (vouch, syft): `pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24
 *   .el9.src.rpm&distro=rocky-9.3`; trivy writes `distro=rocky-9.3` too, the epoch in the version or a qualifier.
 *
 * When an SBOM carries the source package elsewhere (trivy's `aquasecurity:trivy:SrcName` property, vouch's
 * `vouch:deb:source`), the caller passes it as `source`; a purl `upstream` qualifier wins over it.
 * A purl that names no OSV ecosystem, or an OS package whose release cannot be told, is reported with a reason:
 * never guessed.
 */

export interface OsvPackageKey {
  /** The OSV ecosystem name: "Debian", "PyPI", "crates.io". */
  ecosystem: string;
  /** The release an OS package belongs to, as OSV writes it: "12", "v3.19", "22.04:LTS", "9". */
  release?: string;
  /** The repository a Maven package comes from, when the purl says (`repository_url`). */
  repository?: string;
  /** The package name, normalised as OSV names it (the source package for OS packages). */
  name: string;
  /** The version to evaluate the advisory's ranges with, when the purl has one. */
  version?: string;
  /** Things the caller may want to show ("source package from the upstream qualifier"). */
  notes: string[];
}

export type PurlMapping = { ok: true; key: OsvPackageKey } | { ok: false; reason: string };

export interface SourceHint {
  name: string;
  version?: string;
}

/** The ecosystem string of a key, as an advisory's `affected[].package.ecosystem` writes it ("Debian:12"). */
export function keyEcosystem(key: Pick<OsvPackageKey, "ecosystem" | "release">): string {
  return ecosystemString(key.ecosystem, key.release);
}


/**
 * Map a package URL to the OSV package it is. `source` names the source package when the SBOM records it
 * outside the purl.
 *
 * @example
 * mapPurl("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl")
 * // { ok: true, key: { ecosystem: "Debian", release: "12", name: "openssl", version: "3.0.11-1~deb12u2", notes: [...] } }
 */
export function mapPurl(purl: string, source?: SourceHint): PurlMapping {
  // parsePurl reads qualifier values as the purl spec says (a literal "+" stays: syft leaves it unencoded in
  // `upstream=util-linux%402.36.1-8+deb11u1`, and it is part of the Debian version).
  const p = parsePurl(purl);
  if (!p) return { ok: false, reason: `not a package URL: ${purl}` };
  if (p.type === "deb") return mapDeb(p, source);
  if (p.type === "apk") return mapApk(p, source);
  if (p.type === "rpm") return mapRpm(p, source);
  // Own keys only: a purl type is input, and `pkg:constructor/…` must not find Object.prototype's members.
  const ecosystem = Object.hasOwn(LANGUAGE_PURL_ECOSYSTEMS, p.type) ? LANGUAGE_PURL_ECOSYSTEMS[p.type] : undefined;
  if (ecosystem === undefined) return { ok: false, reason: `no OSV ecosystem for purl type "${p.type}"` };
  return { ok: true, key: languageKey(ecosystem, p) };
}

function languageKey(ecosystem: string, p: ParsedPurl): OsvPackageKey {
  const ns = p.namespace;
  let name: string;
  let version = p.version;
  const notes: string[] = [];
  switch (ecosystem) {
    case "Maven":
      name = ns ? `${ns}:${p.name}` : p.name;
      break;
    case "Go":
      name = ns ? `${ns}/${p.name}` : p.name;
      // OSV Go ranges are SEMVER without the "v" Go writes; the standard library is "stdlib" at "1.21.5"
      // (syft writes its version "go1.21.5").
      if (version !== undefined) version = name === "stdlib" || name === "toolchain" ? version.replace(/^go/, "").replace(/^v/, "") : version.replace(/^v/, "");
      break;
    case "SwiftURL":
      // pkg:swift/github.com/apple/swift-nio: OSV names the package by its Git URL.
      name = `https://${ns ? `${ns}/` : ""}${p.name}.git`;
      break;
    default:
      name = ns ? `${ns}/${p.name}` : p.name;
  }
  const key: OsvPackageKey = { ecosystem, name: normalizePackageName(ecosystem, name), notes };
  if (version !== undefined) key.version = version;
  const repo = p.qualifiers?.repository_url;
  if (ecosystem === "Maven" && repo) key.repository = repo;
  return key;
}

/** "name" or "name@version": the `upstream` qualifier syft and vouch write for deb (apk: the origin name). */
function splitUpstream(value: string): SourceHint | undefined {
  const v = value.trim();
  if (v === "") return undefined;
  const at = v.indexOf("@");
  if (at < 0) return { name: v };
  const name = v.slice(0, at);
  const version = v.slice(at + 1);
  if (name === "") return undefined;
  return version === "" ? { name } : { name, version };
}

/** The distro qualifier split into id and version: "debian-12.4" → [debian, 12.4]; trivy's apk "3.19.1" → [undefined, 3.19.1]. */
function splitDistro(distro: string | undefined): { id?: string; version?: string } {
  if (!distro) return {};
  const m = /^(.*?)-(\d[^-]*)$/.exec(distro);
  if (m) return { id: m[1]!.toLowerCase(), version: m[2]! };
  if (/^\d/.test(distro)) return { version: distro };
  return { id: distro.toLowerCase() };
}

function withSource(binary: string, version: string | undefined, upstream: SourceHint | undefined, hint: SourceHint | undefined, notes: string[]) {
  const src = upstream ?? hint;
  if (src === undefined || (src.name === binary && src.version === undefined)) return { name: binary, version };
  notes.push(`source package ${src.name}${src.version ? ` ${src.version}` : ""} (binary ${binary}) from ${upstream ? "the purl's upstream qualifier" : "the SBOM"}`);
  return { name: src.name, version: src.version ?? version };
}

/**
 * Ubuntu releases are `YY.MM`; LTS releases (the April release of even years, and 6.06) carry `:LTS` in OSV.
 */
function ubuntuRelease(version: string): string | undefined {
  const m = /^(\d{1,2})\.(\d{2})/.exec(version);
  if (!m) return undefined;
  const yy = Number(m[1]);
  const release = `${m[1]}.${m[2]}`;
  const lts = (m[2] === "04" && yy % 2 === 0 && yy >= 8) || release === "6.06";
  return lts ? `${release}:LTS` : release;
}

function mapDeb(p: ParsedPurl, hint: SourceHint | undefined): PurlMapping {
  const distro = splitDistro(p.qualifiers?.distro);
  const id = distro.id ?? p.namespace?.toLowerCase();
  const notes: string[] = [];
  const upstream = p.qualifiers?.upstream ? splitUpstream(p.qualifiers.upstream) : undefined;
  const { name, version } = withSource(p.name, p.version, upstream, hint, notes);
  let ecosystem: string;
  let release: string | undefined;
  if (id === "debian") {
    ecosystem = "Debian";
    // Debian:<major> (distro-info-data's numeric version); trivy writes the point release ("12.4").
    release = distro.version ? /^\d+/.exec(distro.version)?.[0] : undefined;
  } else if (id === "ubuntu") {
    ecosystem = "Ubuntu";
    release = distro.version ? ubuntuRelease(distro.version) : undefined;
  } else {
    return { ok: false, reason: `no OSV ecosystem for deb distribution "${id ?? "(none)"}"` };
  }
  if (release === undefined) notes.push(`no release in the purl's distro qualifier: only ${ecosystem} advisories without a release can match`);
  const key: OsvPackageKey = { ecosystem, name, notes };
  if (release !== undefined) key.release = release;
  if (version !== undefined) key.version = version;
  return { ok: true, key };
}

function mapApk(p: ParsedPurl, hint: SourceHint | undefined): PurlMapping {
  const distro = splitDistro(p.qualifiers?.distro);
  const id = distro.id ?? p.namespace?.toLowerCase() ?? "alpine";
  const notes: string[] = [];
  const upstream = p.qualifiers?.upstream ? splitUpstream(p.qualifiers.upstream) : undefined;
  // An apk origin is a name only; its version is the binary's (one APKBUILD builds all its subpackages).
  const { name, version } = withSource(p.name, p.version, upstream ? { name: upstream.name } : undefined, hint, notes);
  let key: OsvPackageKey;
  if (id === "alpine") {
    // Alpine:v<major>.<minor>, the release branch; the purl has the point release ("3.19.1").
    const mm = distro.version ? /^(\d+)\.(\d+)/.exec(distro.version) : null;
    key = { ecosystem: "Alpine", name, notes };
    if (mm) key.release = `v${mm[1]}.${mm[2]}`;
    else notes.push("no Alpine release in the purl's distro qualifier: Alpine advisories are per release branch and cannot match");
  } else if (id === "wolfi") {
    key = { ecosystem: "Wolfi", name, notes };
  } else if (id === "chainguard") {
    key = { ecosystem: "Chainguard", name, notes };
  } else {
    return { ok: false, reason: `no OSV ecosystem for apk distribution "${id}"` };
  }
  if (version !== undefined) key.version = version;
  return { ok: true, key };
}

/** "openssl-3.0.7-24.el9.src.rpm" → "openssl": a source RPM file name is <name>-<version>-<release>.(no)src.rpm. */
export function sourceRpmName(file: string): string | undefined {
  const m = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(file.trim());
  return m?.[1];
}

/** rpm-based distributions OSV has an ecosystem for; the release as OSV writes it, from the purl's distro version. */
function rpmEcosystem(id: string, version: string | undefined): { ecosystem: string; release?: string } | undefined {
  const major = version ? /^\d+/.exec(version)?.[0] : undefined;
  switch (id) {
    case "rocky":
      return { ecosystem: "Rocky Linux", release: major };
    case "almalinux":
    case "alma":
      return { ecosystem: "AlmaLinux", release: major };
    case "mageia":
      return { ecosystem: "Mageia", release: version };
    case "rhel":
    case "redhat":
      // Red Hat advisories are scoped to product streams (`Red Hat:enterprise_linux:9::appstream`, a CPE) a purl does
      // not name; a RHEL 9 package is matched against every mainline stream of RHEL 9 (match.ts redHatMajor), as
      // grype matches RHEL by major release. EUS/E4S and layered products are other streams and never match.
      return { ecosystem: "Red Hat", release: major };
    case "photon":
      return { ecosystem: "Photon OS", release: version };
    case "opensuse-leap":
    case "opensuse.leap":
      // openSUSE:<PRETTY_NAME without "openSUSE ">: "openSUSE Leap 15.5" → "Leap 15.5".
      return { ecosystem: "openSUSE", release: version ? `Leap ${version}` : undefined };
    case "opensuse-tumbleweed":
    case "opensuse.tumbleweed":
      return { ecosystem: "openSUSE", release: "Tumbleweed" };
    case "sles": {
      // SUSE:<PRETTY_NAME without "SUSE ">: VERSION_ID 15.5 is "Linux Enterprise Server 15 SP5".
      const m = version ? /^(\d+)(?:\.(\d+))?$/.exec(version) : null;
      const release = m ? `Linux Enterprise Server ${m[1]}${m[2] && m[2] !== "0" ? ` SP${m[2]}` : ""}` : undefined;
      return { ecosystem: "SUSE", release };
    }
    default:
      return undefined;
  }
}

function mapRpm(p: ParsedPurl, hint: SourceHint | undefined): PurlMapping {
  const distro = splitDistro(p.qualifiers?.distro);
  const ns = p.namespace?.toLowerCase();
  const id = distro.id ?? ns;
  if (id === undefined) return { ok: false, reason: "an rpm purl without namespace or distro names no OSV ecosystem" };
  const eco = rpmEcosystem(id, distro.version) ?? (ns !== undefined && ns !== id ? rpmEcosystem(ns, distro.version) : undefined);
  if (eco === undefined) return { ok: false, reason: `no OSV ecosystem for rpm distribution "${id}"` };
  const notes: string[] = [];
  const srpm = p.qualifiers?.upstream;
  const upstreamName = srpm ? sourceRpmName(srpm) : undefined;
  if (srpm && upstreamName === undefined) notes.push(`upstream qualifier "${srpm}" is not a source RPM file name`);
  const { name } = withSource(p.name, p.version, upstreamName ? { name: upstreamName } : undefined, hint, notes);
  // The version compared is the binary's [epoch:]version-release (a source RPM builds its binaries at its own
  // EVR); the epoch is a qualifier (syft, vouch) or a prefix of the version (older trivy).
  let version = p.version;
  const epoch = p.qualifiers?.epoch;
  if (version !== undefined && epoch !== undefined && /^\d+$/.test(epoch) && !/^\d+:/.test(version)) version = `${epoch}:${version}`;
  const key: OsvPackageKey = { ecosystem: eco.ecosystem, name, notes };
  if (eco.release !== undefined) key.release = eco.release;
  else notes.push(`no release in the purl's distro qualifier: only ${eco.ecosystem} advisories without a release can match`);
  if (version !== undefined) key.version = version;
  return { ok: true, key };
}
