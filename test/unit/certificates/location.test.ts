import { describe, expect, it } from "vitest";
import { locationParameters, metadataParameters } from "../../../functions/core/certificates/location";

const flinkSource = {
  parameters: { ServiceName: "Flink", Cluster: "default" },
  parametersByKey: [
    { keyPattern: "clusters/{Cluster}/{HostName}/flink/ha/**", parameters: { RoleName: "FlinkServer" } },
    { keyPattern: "clusters/{Cluster}/**", parameters: { RoleName: "Other" } },
  ],
};

describe("locationParameters", () => {
  it("captures parameters from the key with the first matching pattern, over the source's literals", () => {
    // Act
    const parameters = locationParameters(
      flinkSource,
      "clusters/prod/flink01.example.com/flink/ha/keystore.jks",
    );

    // Assess
    expect(parameters).toEqual({
      ServiceName: "Flink",
      Cluster: "prod",
      HostName: "flink01.example.com",
      RoleName: "FlinkServer",
    });
  });

  it("keeps the source's parameters for a key no pattern matches", () => {
    expect(locationParameters(flinkSource, "elsewhere/ca.pem")).toEqual({
      ServiceName: "Flink",
      Cluster: "default",
    });
  });

  it("lets the configuration win over what an object's metadata claims, and keeps what it adds", () => {
    // Prepare: a host that claims to be another one, under its own key
    const fromMetadata = { HostName: "someone-else", HostPath: "/opt/flink/ha/local/cert/keystore.jks" };

    // Act
    const parameters = locationParameters(flinkSource, "clusters/prod/flink01/flink/ha/ks.jks", fromMetadata);

    // Assess
    expect(parameters).toMatchObject({
      HostName: "flink01",
      HostPath: "/opt/flink/ha/local/cert/keystore.jks",
    });
  });

  it("captures only within one path segment", () => {
    const source = {
      parameters: {},
      parametersByKey: [{ keyPattern: "hosts/{HostName}/*.jks", parameters: {} }],
    };
    expect(locationParameters(source, "hosts/a/b/x.jks")).toEqual({});
    expect(locationParameters(source, "hosts/a/x.jks")).toEqual({ HostName: "a" });
  });
});

describe("metadataParameters", () => {
  it("reads what watchpost push wrote, whatever the case S3 returns the names in", () => {
    // Act
    const parameters = metadataParameters({
      "Watchpost-Host": "flink01.example.com",
      "watchpost-service": "flink",
      // push --role: ALM-45655's RoleName, from the host like ServiceName
      "Watchpost-Role": "FlinkServer",
      "watchpost-path": encodeURIComponent("/opt/flink/ha/local/cert/keystöre.jks"),
      "watchpost-sha256": "ab".repeat(32),
      unrelated: "kept out",
    });

    // Assess
    expect(parameters).toEqual({
      HostName: "flink01.example.com",
      ServiceName: "flink",
      RoleName: "FlinkServer",
      HostPath: "/opt/flink/ha/local/cert/keystöre.jks",
    });
  });

  it("drops control characters and bounds the length of what an object claims", () => {
    // Act
    const parameters = metadataParameters({ "watchpost-host": `evil\u001b]0;title\u0007${"x".repeat(400)}` });

    // Assess
    expect(parameters.HostName).toMatch(/^evil\]0;titlex+$/);
    expect(parameters.HostName).toHaveLength(256);
  });
});
