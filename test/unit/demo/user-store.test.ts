/**
 * Where `npm start -- --certs DIR` puts each of the user's files: at its path when the
 * configuration reads it (under a source's prefix, or named as a CA bundle, a peer certificate or
 * a peer's trust store), else under the first source's prefix so that a flat folder is scanned too.
 */
import { describe, expect, it } from "vitest";
import { placeKey } from "../../../bin/demo/user-store";
import { parseConfig } from "../../../functions/core/config";

const { certificates } = parseConfig({
  certificates: {
    sources: [{ prefix: "prod/", caBundleKey: "trust/ca.pem" }],
    peerGroups: [
      {
        name: "kafka",
        caBundleKey: "trust/kafka-ca.pem",
        peers: [
          { fqdn: "k1.example.com", certificateKey: "peers/k1.pem", trustStore: { key: "trust/k1.jks" } },
          {
            fqdn: "k2.example.com",
            certificateKey: "peers/k2.pem",
            trustStore: { pushed: { prefix: "hosts/", path: "/etc/kafka/ssl/kafka.truststore.jks" } },
          },
        ],
      },
    ],
  },
});

describe("placing the user's files", () => {
  it.each([
    ["prod/api.pem", "prod/api.pem"],
    ["trust/ca.pem", "trust/ca.pem"],
    ["trust/kafka-ca.pem", "trust/kafka-ca.pem"],
    ["peers/k1.pem", "peers/k1.pem"],
    ["trust/k1.jks", "trust/k1.jks"],
    [
      "hosts/k2.example.com/etc/kafka/ssl/kafka.truststore.jks",
      "hosts/k2.example.com/etc/kafka/ssl/kafka.truststore.jks",
    ],
    ["old.pem", "prod/old.pem"],
    ["trust/other.jks", "prod/trust/other.jks"],
  ])("puts %s at %s", (path, key) => {
    // Act / Assess
    expect(placeKey(path, certificates)).toBe(key);
  });
});
