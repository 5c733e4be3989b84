/**
 * IAM evaluation of a synthesized stack with @cloud-copilot/iam-simulate, which evaluates identity
 * policies, resource policies and KMS key policies the way the IAM User Guide's "Policy evaluation
 * logic" describes (same-account requests, explicit denies, KMS key-policy trust). This module
 * gathers, from a resolved template, what AWS would hold: the identity policies attached to a role,
 * and the resource policy of a topic, queue, bucket, key or function (Lambda permissions become
 * the statements Lambda's AddPermission writes).
 */
import { runSimulation, runUnsafeSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import type { ResolvedTemplate } from "./template";

export type PolicyDocument = { Version?: string; Statement: Statement[] };
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface SimulationRequest {
  /** An IAM role ARN, or a service principal such as `events.amazonaws.com`. */
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  identityPolicies?: PolicyDocument[];
  resourcePolicy?: PolicyDocument;
}

export interface SimulationVerdict {
  result: string;
  errors?: unknown;
}

/**
 * Context keys AWS documents with a colon-separated variable part, which iam-simulate 0.1 does not
 * match against its action data (it matches only `/`-separated ones such as aws:PrincipalTag/x) and
 * would silently drop: kms:EncryptionContext:<key> (KMS Developer Guide, "kms:EncryptionContext:context-key").
 */
const COLON_VARIABLE_KEYS = [/^kms:encryptioncontext:.+$/i];

/**
 * Runs one request through iam-simulate; every request is made over TLS, as the SDK does. A context
 * key the simulator does not know for the action is an error, not a silently weaker request: only
 * the documented colon-variable keys above are evaluated, through its unvalidated entry point.
 */
export async function simulate(request: SimulationRequest, account: string): Promise<SimulationVerdict> {
  const simulation: Simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: account },
      contextVariables: { "aws:SecureTransport": "true", ...request.context },
    },
    identityPolicies: (request.identityPolicies ?? []).map((policy, i) => ({ name: `policy${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === "error") return { result: "Error", errors: response.errors };
  const ignored =
    response.resultType === "single"
      ? (response.result.ignoredContextKeys ?? [])
      : response.results.flatMap((r) => r.ignoredContextKeys ?? []);
  if (ignored.length === 0) return { result: response.overallResult };
  if (ignored.every((key) => COLON_VARIABLE_KEYS.some((known) => known.test(key)))) {
    // The unvalidated entry point loads the resource policy without a name, which its engine then
    // reads; a policy already marked validated (iam-policy's ValidatedPolicy shape) carries one.
    const resourcePolicy = simulation.resourcePolicy
      ? {
          __validated: true,
          policyDocument: simulation.resourcePolicy,
          metadata: { name: "resource" },
          errors: [],
        }
      : undefined;
    return { result: runUnsafeSimulation({ ...simulation, resourcePolicy }, {}) };
  }
  return { result: "Error", errors: { ignoredContextKeys: [...new Set(ignored)] } };
}

/**
 * Identity policies attached to a role: its inline `Policies`, every AWS::IAM::Policy naming it,
 * and every managed policy of the stack attached to it (CDK moves statements that do not fit the
 * inline size quota into such "overflow" managed policies).
 */
export function identityPoliciesOf(stack: ResolvedTemplate, roleId: string): PolicyDocument[] {
  const role = stack.properties(roleId);
  const inline = ((role.Policies ?? []) as { PolicyDocument: PolicyDocument }[]).map((p) => p.PolicyDocument);
  const roleName = stack.ref(roleId);
  const attachedTo = (type: string) =>
    stack
      .ofType(type)
      .filter(
        (id) =>
          ((stack.properties(id).Roles ?? []) as string[]).includes(roleName) ||
          ((role.ManagedPolicyArns ?? []) as string[]).includes(stack.ref(id)),
      )
      .map((id) => stack.properties(id).PolicyDocument as PolicyDocument);
  return [...inline, ...attachedTo("AWS::IAM::Policy"), ...attachedTo("AWS::IAM::ManagedPolicy")];
}

/** Logical ID of a function's execution role. */
export function roleOfFunction(stack: ResolvedTemplate, functionId: string): string {
  const role = stack.resources[functionId]?.Properties?.Role as { "Fn::GetAtt": [string, string] };
  return role["Fn::GetAtt"][0];
}

/** The resource policy AWS holds for the resource with this ARN, if the stack writes one. */
export function resourcePolicyOf(stack: ResolvedTemplate, arn: string): PolicyDocument | undefined {
  const statements: Statement[] = [];
  for (const id of stack.ofType("AWS::SNS::TopicPolicy")) {
    const policy = stack.properties(id);
    if ((policy.Topics as string[]).includes(arn))
      statements.push(...(policy.PolicyDocument as PolicyDocument).Statement);
  }
  for (const id of stack.ofType("AWS::SQS::QueuePolicy")) {
    const policy = stack.properties(id);
    const arns = (policy.Queues as string[]).map((url) => queueArnOfUrl(stack, url));
    if (arns.includes(arn)) statements.push(...(policy.PolicyDocument as PolicyDocument).Statement);
  }
  for (const id of stack.ofType("AWS::KMS::Key")) {
    if (stack.getAtt(id, "Arn") === arn)
      statements.push(...(stack.properties(id).KeyPolicy as PolicyDocument).Statement);
  }
  for (const id of stack.ofType("AWS::S3::BucketPolicy")) {
    const policy = stack.properties(id);
    const bucketArn = `arn:${stack.env.partition}:s3:::${policy.Bucket}`;
    if (arn === bucketArn || arn.startsWith(`${bucketArn}/`)) {
      statements.push(...(policy.PolicyDocument as PolicyDocument).Statement);
    }
  }
  for (const id of stack.ofType("AWS::Lambda::Permission")) {
    const permission = stack.properties(id);
    const target = String(permission.FunctionName);
    const functionArn = target.startsWith("arn:") ? target : functionArnOfName(stack, target);
    if (functionArn !== arn) continue;
    statements.push(lambdaPermissionStatement(permission, functionArn));
  }
  return statements.length > 0 ? { Version: "2012-10-17", Statement: statements } : undefined;
}

/**
 * The statement Lambda's AddPermission writes (Lambda Developer Guide, "Viewing resource-based IAM
 * policies in Lambda"): the principal, lambda:InvokeFunction, and SourceArn / SourceAccount as
 * ArnLike / StringEquals conditions.
 */
function lambdaPermissionStatement(permission: Record<string, unknown>, functionArn: string): Statement {
  const principal = String(permission.Principal);
  const condition: Record<string, Record<string, unknown>> = {};
  if (permission.SourceArn) condition.ArnLike = { "AWS:SourceArn": permission.SourceArn };
  if (permission.SourceAccount) condition.StringEquals = { "AWS:SourceAccount": permission.SourceAccount };
  return {
    Effect: "Allow",
    Principal: principal.endsWith(".amazonaws.com") ? { Service: principal } : { AWS: principal },
    Action: String(permission.Action),
    Resource: functionArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

function queueArnOfUrl(stack: ResolvedTemplate, url: string): string {
  const [account, name] = url.split("/").slice(-2);
  return `arn:${stack.env.partition}:sqs:${stack.env.region}:${account}:${name}`;
}

function functionArnOfName(stack: ResolvedTemplate, name: string): string {
  return `arn:${stack.env.partition}:lambda:${stack.env.region}:${stack.env.account}:function:${name}`;
}
