/**
 * Every configured selection of `awsCertificates`, in every account and region it names: one
 * PlaceOutcome per (selection, account, region). The stores come in through `AwsStores`
 * (adapters/aws-certificates/stores.ts), so this module decides only what is read where.
 */

import type { EvaluationPolicy } from "../certificates/evaluate";
import { secretFingerprint } from "../certificates/inventory";
import type { ObjectInventoryPort } from "../certificates/ports";
import type { FilePassword } from "../certificates/scan";
import { mapBounded } from "../concurrency";
import type {
  AcmSelection,
  AwsCertificates,
  IamSelection,
  ParameterSelection,
  PasswordSource,
  SecretSelection,
} from "../config/aws-sources";
import { type AwsPlace, placeSource } from "./location";
import {
  type AcmPort,
  type CallFailure,
  type MaterialStorePort,
  type PlaceOutcome,
  type PlaceScanOptions,
  scanAcmPlace,
  scanMaterialPlace,
} from "./scan-place";

export interface AwsStores {
  acm(account: string, region: string, selection: AcmSelection): AcmPort;
  iam(account: string, selection: IamSelection): MaterialStorePort;
  secretsManager(account: string, region: string, selection: SecretSelection): MaterialStorePort;
  ssm(account: string, region: string, selection: ParameterSelection): MaterialStorePort;
  /** A PKCS#12 password kept in another secret or parameter of the same account and region. */
  password(
    account: string,
    region: string,
    source: PasswordSource,
  ): Promise<{ ok: true; value: string } | CallFailure>;
}

export interface AwsScanOptions {
  policy: EvaluationPolicy;
  /** The account the stack runs in: what a selection without `accounts` reads. */
  ownAccount: string;
  inventory?: ObjectInventoryPort;
  /** Places scanned at once; each place reads its items with its own small concurrency. */
  concurrency?: number;
}

interface Task {
  place: AwsPlace;
  run(): Promise<PlaceOutcome>;
}

export async function scanAwsCertificates(
  config: AwsCertificates,
  stores: AwsStores,
  options: AwsScanOptions,
): Promise<PlaceOutcome[]> {
  const tasks: Task[] = [];
  const accountsOf = (s: { accounts?: string[] | undefined }) => s.accounts ?? [options.ownAccount];
  const common = (s: {
    expectedHostnames?: string[] | undefined;
    parameters?: Record<string, string> | undefined;
  }) => ({
    policy: options.policy,
    ...(s.expectedHostnames ? { expectedHosts: s.expectedHostnames } : {}),
    ...(s.parameters ? { declared: s.parameters } : {}),
    ...(options.inventory ? { inventory: options.inventory } : {}),
  });
  for (const selection of config.acm) {
    for (const account of accountsOf(selection)) {
      for (const region of selection.regions) {
        tasks.push({
          place: { kind: "acm", account, region },
          run: () => scanAcmPlace(stores.acm(account, region, selection), common(selection)),
        });
      }
    }
  }
  for (const selection of config.iamServerCertificates) {
    for (const account of accountsOf(selection)) {
      tasks.push({
        place: { kind: "iam-server-certificate", account, region: "global" },
        run: () => scanMaterialPlace(stores.iam(account, selection), common(selection)),
      });
    }
  }
  const material = (
    kind: "secrets-manager" | "ssm-parameter",
    selection: SecretSelection | ParameterSelection,
    port: (account: string, region: string) => MaterialStorePort,
  ) => {
    for (const account of accountsOf(selection)) {
      for (const region of selection.regions) {
        const place: AwsPlace = { kind, account, region };
        tasks.push({
          place,
          run: async () => {
            const options: PlaceScanOptions = common(selection);
            if (selection.password) {
              const password = await passwordOf(stores, place, selection.password);
              if ("failure" in password) return passwordUnread(place, password.failure);
              options.password = password;
            }
            return scanMaterialPlace(port(account, region), options);
          },
        });
      }
    }
  };
  for (const selection of config.secretsManager) {
    material("secrets-manager", selection, (account, region) =>
      stores.secretsManager(account, region, selection),
    );
  }
  for (const selection of config.ssmParameters) {
    material("ssm-parameter", selection, (account, region) => stores.ssm(account, region, selection));
  }
  return mapBounded(tasks, options.concurrency ?? 4, (task) => task.run());
}

function passwordName(source: PasswordSource): string {
  return "secretName" in source ? `secret ${source.secretName}` : `parameter ${source.parameterName}`;
}

async function passwordOf(
  stores: AwsStores,
  place: AwsPlace,
  source: PasswordSource,
): Promise<FilePassword | { failure: CallFailure }> {
  const read = await stores.password(place.account, place.region, source);
  if (!read.ok) return { failure: read };
  return {
    value: read.value,
    // The value never leaves: the inventory keeps only what identifies it (inventory.ts).
    fingerprint: await secretFingerprint(read.value, placeSource(place)),
    hint: `the password ${passwordName(source)}`,
  };
}

/**
 * Without the password, what a PKCS#12 value holds is unknown, and so is which of the place's
 * items need it: none of them is examined, and none of their alarms clears.
 */
function passwordUnread(place: AwsPlace, failure: CallFailure): PlaceOutcome {
  return {
    place,
    scope: placeSource(place),
    findings: [],
    examined: [],
    notExamined: [
      { source: placeSource(place), why: `the PKCS#12 password could not be read (${failure.detail})` },
    ],
    complete: false,
    read: 0,
    reused: 0,
  };
}
