/**
 * Records every AWS SDK command the code under test sends, for the IAM simulation
 * (test/simulation/iam-calls.test.ts): which command, which resources it names, and which module of
 * functions/ sent it (calls from test code and the emulators are not the functions' and are left out). Installed once per test file by test/support/setup.ts; on only when
 * WATCHPOST_AWS_CALLS_DIR names a directory (`.ci/run` sets it), each test worker then appends one
 * JSON line per distinct call to `<dir>/<pid>.jsonl` when a test file ends.
 *
 * Two paths reach AWS in the tests, and both are recorded:
 * - real clients against the local stand-ins (s3rver, dynalite, loopback STS): every SDK v3 client
 *   extends `Client` from @smithy/core/client, whose `send` is wrapped here;
 * - clients mocked with aws-sdk-client-mock (EventBridge, SNS, STS in some tests): their `send` is a
 *   sinon stub, which keeps each call with its arguments and call stack; the stubs are collected
 *   when they are reset or restored, and when the file ends.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { Client } from "@smithy/core/client";
import { AwsStub } from "aws-sdk-client-mock";

export interface RecordedCall {
  /** Client class, e.g. "S3Client". */
  client: string;
  /** Command class, e.g. "GetObjectCommand". */
  command: string;
  /** The module of functions/ (or bin/) that called `send`, relative to the repository. */
  caller: string;
  /** Resource identifiers the command names. */
  resources: Record<string, string | string[]>;
}

// biome-ignore lint/suspicious/noExplicitAny: any client's stub
type AnyStub = AwsStub<any, any, any>;

const ROOT = join(import.meta.dirname, "..", "..");

/**
 * The document client (lib-dynamodb) translates its commands into DynamoDB's and sends those from
 * inside its middleware, where the calling module is no longer on the stack: its commands are
 * recorded instead, under the DynamoDB command each one sends.
 */
const DOCUMENT_COMMANDS: Record<string, string> = {
  GetCommand: "GetItemCommand",
  PutCommand: "PutItemCommand",
  UpdateCommand: "UpdateItemCommand",
  DeleteCommand: "DeleteItemCommand",
  QueryCommand: "QueryCommand",
  ScanCommand: "ScanCommand",
  BatchGetCommand: "BatchGetItemCommand",
  BatchWriteCommand: "BatchWriteItemCommand",
  TransactGetCommand: "TransactGetItemsCommand",
  TransactWriteCommand: "TransactWriteItemsCommand",
};
const SHIMMED = Symbol.for("watchpost.aws-call-recorder");
const IDENTIFIERS = ["Bucket", "Key", "Prefix", "TableName", "QueueUrl", "TopicArn", "SecretId", "RoleArn"];

/**
 * Kept on globalThis: vitest evaluates this module again for every test file of a worker, while the
 * hooks installed on the shared SDK classes by the first evaluation stay; all must share one store.
 */
interface CallStore {
  recorded: Map<string, RecordedCall>;
  stubs: Set<AnyStub>;
  harvested: WeakSet<object>;
}
const STORE = Symbol.for("watchpost.aws-calls");
const shared = globalThis as { [STORE]?: CallStore };
shared[STORE] ??= { recorded: new Map(), stubs: new Set(), harvested: new WeakSet() };
const store = shared[STORE];
const { recorded, stubs, harvested } = store;

export function recording(): boolean {
  return Boolean(process.env.WATCHPOST_AWS_CALLS_DIR);
}

const SELF = relative(ROOT, import.meta.filename);

/**
 * The innermost module of functions/ on the stack. A test's own call (one a test hook makes while
 * the functions' code is running, e.g. deleting an object between its listing and its download) is
 * the test's: a test frame closer to `send` than any module of functions/ leaves the call out.
 */
function callerOf(stack: string | undefined): string | undefined {
  for (const line of (stack ?? "").split("\n")) {
    const match = /\(?((?:file:\/\/)?\/[^():]+\.(?:ts|mts|js|mjs)):\d+:\d+\)?\s*$/.exec(line);
    if (!match) continue;
    const path = relative(ROOT, match[1]!.replace(/^file:\/\//, ""));
    if (path.startsWith("functions/")) return path;
    if (path.startsWith("test/") && path !== SELF) return undefined;
  }
  return undefined;
}

function identifiers(input: Record<string, unknown>): Record<string, string | string[]> {
  const found: Record<string, string | string[]> = {};
  for (const name of IDENTIFIERS) {
    const value = input[name];
    if (typeof value === "string") found[name] = value;
  }
  if (input.RequestItems && typeof input.RequestItems === "object") {
    found.TableName = Object.keys(input.RequestItems as object);
  }
  if (Array.isArray(input.Entries)) {
    const buses = (input.Entries as { EventBusName?: string }[]).flatMap((e) =>
      e.EventBusName ? [e.EventBusName] : [],
    );
    if (buses.length > 0) found.EventBusName = [...new Set(buses)];
  }
  return found;
}

function record(client: object, command: unknown, stack: string | undefined): void {
  const caller = callerOf(stack);
  if (!caller || typeof command !== "object" || command === null) return;
  const document = client.constructor.name === "DynamoDBDocumentClient";
  const clientName = document ? "DynamoDBClient" : client.constructor.name;
  const commandName = document
    ? (DOCUMENT_COMMANDS[command.constructor.name] ?? command.constructor.name)
    : command.constructor.name;
  const input = ((command as { input?: unknown }).input ?? {}) as Record<string, unknown>;
  const resources = identifiers(input);
  const call: RecordedCall = {
    client: clientName,
    command: commandName,
    caller,
    resources,
  };
  const key = JSON.stringify([call.client, call.command, call.caller, Object.keys(resources).sort()]);
  if (!recorded.has(key)) recorded.set(key, call);
}

function harvest(stub: AnyStub): void {
  const send = (
    stub as unknown as { send?: { getCalls?: () => { args: unknown[]; stack: string; thisValue: object }[] } }
  ).send;
  for (const call of send?.getCalls?.() ?? []) {
    if (harvested.has(call)) continue;
    harvested.add(call);
    record(call.thisValue ?? {}, call.args[0], call.stack);
  }
}

/** Installs the hooks (idempotent) and returns the function that writes this file's calls. */
export function installAwsCallRecorder(): () => void {
  const prototype = Client.prototype as unknown as {
    send: (...args: unknown[]) => unknown;
    [SHIMMED]?: true;
  };
  if (!prototype[SHIMMED]) {
    const send = prototype.send;
    prototype.send = function (this: object, ...args: unknown[]) {
      if (recording()) record(this, args[0], new Error().stack);
      return send.apply(this, args);
    };
    prototype[SHIMMED] = true;
    const stubPrototype = AwsStub.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of ["on", "onAnyCommand", "callsFake", "resolves", "rejects"]) {
      const original = stubPrototype[method]!;
      stubPrototype[method] = function (this: AnyStub, ...args: unknown[]) {
        stubs.add(this);
        return original.apply(this, args);
      };
    }
    for (const method of ["reset", "resetHistory", "restore"]) {
      const original = stubPrototype[method]!;
      stubPrototype[method] = function (this: AnyStub, ...args: unknown[]) {
        if (recording()) harvest(this);
        return original.apply(this, args);
      };
    }
  }
  return () => {
    const directory = process.env.WATCHPOST_AWS_CALLS_DIR;
    if (!directory) return;
    for (const stub of stubs) harvest(stub);
    if (recorded.size === 0) return;
    mkdirSync(directory, { recursive: true });
    appendFileSync(
      join(directory, `${process.pid}.jsonl`),
      [...recorded.values()].map((call) => `${JSON.stringify(call)}\n`).join(""),
    );
    recorded.clear();
  };
}
