import type { Finding, FindingSeverity } from "./findings.js";

/** Findings for tests: Log4Shell on log4j-core, an OpenSSL one on a Debian source package, one without severity. */

const LOG4SHELL_V3: FindingSeverity = {
  type: "CVSS_V3",
  vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
  version: "3.1",
  score: 10,
  bucket: "critical",
};

export function log4shell(over: Partial<Finding> = {}): Finding {
  return {
    vulnerability: {
      id: "GHSA-jfh8-c2jp-5v3q",
      aliases: ["CVE-2021-44228"],
      summary: "Remote code injection in Log4j",
      severity: LOG4SHELL_V3,
      severities: [LOG4SHELL_V3],
      fixedIn: ["2.15.0"],
      references: ["https://nvd.nist.gov/vuln/detail/CVE-2021-44228"],
      published: "2021-12-10T00:40:56Z",
      modified: "2025-05-09T13:13:16.169374Z",
      kev: { dateAdded: "2021-12-10", dueDate: "2021-12-24", knownRansomwareCampaignUse: "Known" },
      epss: { score: 0.94358, percentile: 0.99957, date: "2025-01-01" },
    },
    component: {
      bomRef: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
      purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
      name: "org.apache.logging.log4j:log4j-core",
      version: "2.14.1",
      ecosystem: "Maven",
      location: "app/pom.xml",
    },
    match: {
      ecosystem: "Maven",
      package: "org.apache.logging.log4j:log4j-core",
      range: "introduced 2.13.0, fixed 2.15.0 (ECOSYSTEM)",
      via: "package",
    },
    ...over,
  };
}

const MEDIUM: FindingSeverity = {
  type: "CVSS_V3",
  vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
  version: "3.1",
  score: 5.9,
  bucket: "medium",
};

export function opensslDebian(over: Partial<Finding> = {}): Finding {
  return {
    vulnerability: {
      id: "DSA-5532-1",
      aliases: ["CVE-2023-5363"],
      summary: "openssl - security update",
      severity: MEDIUM,
      severities: [MEDIUM],
      fixedIn: ["3.0.11-1~deb12u2"],
      references: ["https://www.debian.org/security/2023/dsa-5532"],
    },
    component: {
      bomRef: "libssl3-ref",
      purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl",
      name: "libssl3",
      version: "3.0.11-1~deb12u1",
      ecosystem: "Debian",
      release: "12",
    },
    match: { ecosystem: "Debian:12", package: "openssl", range: "introduced 0, fixed 3.0.11-1~deb12u2 (ECOSYSTEM)", via: "source package" },
    ...over,
  };
}

export function unscored(over: Partial<Finding> = {}): Finding {
  return {
    vulnerability: { id: "MAL-2024-10238", aliases: [], summary: "Malicious code in 123bla (PyPI)", severities: [], fixedIn: [], references: [] },
    component: { purl: "pkg:pypi/123bla@0.0.1", name: "123bla", version: "0.0.1", ecosystem: "PyPI" },
    match: { ecosystem: "PyPI", package: "123bla", range: "listed in versions", via: "package" },
    ...over,
  };
}
