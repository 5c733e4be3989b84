/**
 * STS has no local implementation, so this is the smallest one that lets the real STSClient (and
 * with it the real credential probe) run unchanged: a loopback server speaking the AWS Query
 * protocol of `AssumeRole` (form-encoded POST, XML answer, `<ErrorResponse>` on refusal). Who may
 * assume which role is decided by the caller's `decide` function; the caller's own signature is
 * not checked (s3rver does not check signatures either). Any other action is refused.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { type LoopbackResponse, startLoopbackServer } from "./http";

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  externalId?: string;
  durationSeconds?: number;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export type AssumeRoleAnswer =
  | { credentials: IssuedCredentials }
  | { error: { status: number; code: string; message: string } };

export interface LocalSts {
  endpoint: string;
  /** Every AssumeRole call, in order (never the issued secrets). */
  calls: { roleArn: string; sessionName: string; outcome: string }[];
  close(): Promise<void>;
}

const NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

/** Credentials shaped like the ones STS hands out ("ASIA…" key, 40-character secret, long token). */
export function newTemporaryCredentials(lifetimeSeconds = 3600): IssuedCredentials {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const id = [...randomBytes(16)].map((b) => letters[b % letters.length]).join("");
  return {
    accessKeyId: `ASIA${id}`,
    secretAccessKey: randomBytes(30).toString("base64"),
    sessionToken: randomBytes(180).toString("base64"),
    expiration: new Date(Date.now() + lifetimeSeconds * 1000),
  };
}

export async function startLocalSts(
  decide: (request: AssumeRoleRequest) => AssumeRoleAnswer,
): Promise<LocalSts> {
  const calls: LocalSts["calls"] = [];
  const server = await startLoopbackServer(({ method, body }) => {
    const form = new URLSearchParams(body);
    const action = form.get("Action");
    if (method !== "POST" || action !== "AssumeRole") {
      return errorResponse(400, "InvalidAction", `the local STS answers AssumeRole only, not ${action}`);
    }
    const request: AssumeRoleRequest = {
      roleArn: form.get("RoleArn") ?? "",
      sessionName: form.get("RoleSessionName") ?? "",
      ...(form.get("ExternalId") ? { externalId: form.get("ExternalId") ?? "" } : {}),
      ...(form.get("DurationSeconds") ? { durationSeconds: Number(form.get("DurationSeconds")) } : {}),
    };
    const answer = decide(request);
    if ("error" in answer) {
      calls.push({ roleArn: request.roleArn, sessionName: request.sessionName, outcome: answer.error.code });
      return errorResponse(answer.error.status, answer.error.code, answer.error.message);
    }
    calls.push({ roleArn: request.roleArn, sessionName: request.sessionName, outcome: "issued" });
    return assumeRoleResponse(request, answer.credentials);
  });
  return { endpoint: server.endpoint, calls, close: () => server.close() };
}

function assumeRoleResponse(request: AssumeRoleRequest, issued: IssuedCredentials): LoopbackResponse {
  const roleName = request.roleArn.split("/").pop() ?? "role";
  const account = /::(\d{12}):/.exec(request.roleArn)?.[1] ?? "000000000000";
  const body = [
    `<AssumeRoleResponse xmlns="${NAMESPACE}">`,
    "<AssumeRoleResult>",
    "<Credentials>",
    `<AccessKeyId>${xml(issued.accessKeyId)}</AccessKeyId>`,
    `<SecretAccessKey>${xml(issued.secretAccessKey)}</SecretAccessKey>`,
    `<SessionToken>${xml(issued.sessionToken)}</SessionToken>`,
    `<Expiration>${issued.expiration.toISOString().replace(/\.\d{3}Z$/, "Z")}</Expiration>`,
    "</Credentials>",
    "<AssumedRoleUser>",
    `<Arn>${xml(`arn:aws:sts::${account}:assumed-role/${roleName}/${request.sessionName}`)}</Arn>`,
    `<AssumedRoleId>AROA${randomBytes(8).toString("hex").toUpperCase()}:${xml(request.sessionName)}</AssumedRoleId>`,
    "</AssumedRoleUser>",
    "</AssumeRoleResult>",
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`,
    "</AssumeRoleResponse>",
  ].join("");
  return { status: 200, contentType: "text/xml", body };
}

function errorResponse(status: number, code: string, message: string): LoopbackResponse {
  const body = [
    `<ErrorResponse xmlns="${NAMESPACE}">`,
    `<Error><Type>Sender</Type><Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error>`,
    `<RequestId>${randomUUID()}</RequestId>`,
    "</ErrorResponse>",
  ].join("");
  return { status, contentType: "text/xml", body };
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
