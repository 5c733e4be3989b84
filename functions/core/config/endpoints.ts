/**
 * `endpoints`: live TLS endpoints scanned on their own schedule (schedules.endpointScan), each judged
 * like a stored certificate, optionally after a STARTTLS upgrade, and compared with its stored copy.
 * `vpc` places the one function that connects to them in the cluster's network.
 */
import * as z from "zod";
import { ADDRESS_HELP, canonicalEndpoint } from "../endpoints/address";
import { LocationParameters } from "./certificates";
import { CONTROL_CHARACTERS, HostName, ObjectKey } from "./fields";
import { atMost, LIMITS } from "./limits";

/** The upgrade exchanges the endpoint scan speaks before the TLS handshake. */
export const STARTTLS_PROTOCOLS = ["smtp", "imap", "pop3", "ldap", "postgres", "mysql"] as const;
export const StarttlsProtocol = z.enum(STARTTLS_PROTOCOLS);
export type StarttlsProtocol = z.infer<typeof StarttlsProtocol>;

export const EndpointAddressText = z
  .string()
  .max(300)
  .refine((text) => canonicalEndpoint(text) !== undefined, ADDRESS_HELP);

const EndpointTarget = z.strictObject({
  /** Where to connect: "host:port", IPv6 as "[::1]:443". */
  endpoint: EndpointAddressText,
  /** SNI name sent in the handshake; default: the host, unless it is an IP address. */
  servername: HostName.optional(),
  /** Names the presented certificate must cover; default: the SNI name, else the host. [] switches the check off. */
  expectedHostnames: z
    .array(HostName)
    .max(LIMITS.hostnames, atMost(LIMITS.hostnames, "host names"))
    .optional(),
  /** Object key of a PEM bundle of trusted CAs in the certificate bucket; default: the public roots Node.js ships. */
  caBundleKey: ObjectKey.optional(),
  /** What the presented certificate is for, as the chain check judges it (default `server`). */
  purpose: z.enum(["server", "client", "any"]).optional(),
  /** Speak this protocol's STARTTLS exchange first (SMTP, IMAP, POP3, LDAP, PostgreSQL, MySQL). */
  starttls: StarttlsProtocol.optional(),
  /** Object key of the certificate the service is meant to serve: a different leaf raises `served-mismatch`. */
  storedCertificateKey: ObjectKey.optional(),
  /** Alarm parameter: the service behind the endpoint, as operators call it. */
  serviceName: z
    .string()
    .min(1)
    .max(128)
    .refine((name) => !CONTROL_CHARACTERS.test(name), "expected a name without control characters")
    .optional(),
  /** Location parameters of its findings, as a source's (Cluster, HostName, ...); `serviceName` wins over a ServiceName here. */
  parameters: LocationParameters.optional(),
});

const SubnetId = z
  .string()
  .regex(/^subnet-[0-9a-f]{8,17}$/, 'expected a subnet ID such as "subnet-0abc1234"');
const SecurityGroupId = z
  .string()
  .regex(/^sg-[0-9a-f]{8,17}$/, 'expected a security group ID such as "sg-0abc1234"');

/**
 * Where the endpoint scan runs: in these subnets, with these security groups, or with one the
 * stack creates in `vpcId` that allows egress to the endpoints' ports and HTTPS only.
 */
const VpcPlacement = z
  .strictObject({
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'expected a VPC ID such as "vpc-0abc1234"'),
    subnetIds: z
      .array(SubnetId)
      .min(1, "expected at least one subnet")
      .max(16, "expected at most 16 subnets (Lambda's limit)"),
    securityGroupIds: z
      .array(SecurityGroupId)
      .max(5, "expected at most 5 security groups (Lambda's limit)")
      .optional(),
  })
  .refine((v) => new Set(v.subnetIds).size === v.subnetIds.length, {
    message: "expected each subnet once",
    path: ["subnetIds"],
  });

export const Endpoints = z
  .strictObject({
    targets: z.array(EndpointTarget).max(LIMITS.endpoints, atMost(LIMITS.endpoints, "endpoints")).default([]),
    /** Connect, upgrade and handshake within this many milliseconds per endpoint. */
    timeoutMs: z.number().int().min(1000).max(60_000).default(10_000),
    vpc: VpcPlacement.optional(),
  })
  .refine((e) => new Set(e.targets.map((t) => canonicalEndpoint(t.endpoint))).size === e.targets.length, {
    message: "expected each endpoint once",
    path: ["targets"],
  })
  .refine((e) => e.vpc === undefined || e.targets.length > 0, {
    message: "expected endpoint targets when a VPC placement is given (it places the endpoint scan)",
    path: ["vpc"],
  });
