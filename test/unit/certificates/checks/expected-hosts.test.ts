/** The names a stored certificate must cover, looked up by its key (certificates.sources[].hostnamesByKey). */
import { describe, expect, it } from "vitest";
import {
  expectedHostnamesFor,
  expectedHostsOf,
} from "../../../../functions/core/certificates/checks/expected-hosts";
import { parseConfig } from "../../../../functions/core/config";

describe("expected host names per key", () => {
  it("uses the first matching key pattern, else the source's names", () => {
    // Prepare
    const [source] = parseConfig({
      certificates: {
        sources: [
          {
            prefix: "prod/",
            expectedHostnames: ["api.example.com"],
            hostnamesByKey: [
              { keyPattern: "prod/ingress/*.pem", hostnames: ["*.apps.example.com"] },
              { keyPattern: "prod/**/etcd-?.pem", hostnames: ["etcd.example.com"] },
            ],
          },
        ],
      },
    }).certificates.sources;

    // Act / Assess
    expect(expectedHostnamesFor(source!, "prod/ingress/router.pem")).toEqual(["*.apps.example.com"]);
    expect(expectedHostnamesFor(source!, "prod/ingress/old/router.pem")).toEqual(["api.example.com"]);
    expect(expectedHostnamesFor(source!, "prod/a/b/etcd-1.pem")).toEqual(["etcd.example.com"]);
    expect(expectedHostnamesFor(source!, "prod/a/b/etcd-10.pem")).toEqual(["api.example.com"]);
    expect(expectedHostnamesFor(source!, "prod/ingressXrouter.pem")).toEqual(["api.example.com"]);
  });

  it("asks for no hostname check when a source names no host, rather than for a match with nothing", () => {
    // Prepare
    const [source] = parseConfig({ certificates: { sources: [{ prefix: "prod/" }] } }).certificates.sources;

    // Act / Assess
    expect(expectedHostnamesFor(source!, "prod/a.pem")).toEqual([]);
    expect(expectedHostsOf(source!, "prod/a.pem")).toBeUndefined();
  });
});
