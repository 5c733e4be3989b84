/**
 * The adapters of `awsCertificates`: one per configured selection × account × region, on the
 * clients of that account (clients.ts; a member account's reader role comes in there). The
 * certificate scan builds them for each invocation (handlers/certificate-scan/deps.ts).
 */
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { IAM_REGION } from "../../core/aws-certificates/location";
import type { AwsCertificates, PasswordSource, WatchpostConfig } from "../../core/config";
import { ListingRefused } from "../../core/scan/listing-refusal";
import type { StoreScanContext } from "../../core/scan/ports";
import type { ListedItem, SourceAdapter } from "../../core/scan/source-adapter";
import { memberAccountSessions } from "../member-accounts";
import { acmSource } from "./acm";
import { type AwsCertificateClients, awsCertificateClients } from "./clients";
import { iamServerCertificateSource } from "./iam";
import { listingFailure } from "./pages";
import { type PasswordReader, secretsManagerSource } from "./secrets-manager";
import { ssmParameterSource } from "./ssm";

export { type AwsCertificateClients, awsCertificateClients } from "./clients";

/**
 * Whether a member account can be read; `permission` when its reader role refuses the scan (not
 * when STS was merely throttled or unreachable): the scopes there then each raise a finding.
 */
export type AccountAccess =
  | { reachable: true }
  | { reachable: false; message: string; permission?: string | undefined };

/** STS's refusals that a person must fix (core/accounts/unreachable.ts), as opposed to passing trouble. */
const REFUSED_ASSUMING = new Set(["trust-refused", "region-disabled", "refused"]);

export interface AwsSourceWiring {
  clients: AwsCertificateClients;
  /**
   * Whether a member account can be read this run (its reader role assumed); asked before each of
   * that account's scopes is listed. An unreachable account's scopes break off before their first
   * item, so the run is partial for them and clears nothing of that account. Without it every
   * account is taken as reachable (tests with one account, the demo).
   */
  accountAccess?: (account: string) => Promise<AccountAccess>;
  /** The account the stack runs in: what a selection without `accounts` reads. */
  ownAccount: string;
  /** "aws", "aws-cn", "aws-us-gov": for the ARNs the adapters write themselves. */
  partition?: string;
}

/**
 * The wiring of a deployed scan: the own account read with the function's role, each member account
 * through its reader role (config `accounts`: role name, external ID, session length), one session
 * and one client per account and Region for the life of the execution environment.
 */
export function awsSourceWiring(
  config: Pick<WatchpostConfig, "accounts">,
  where: { ownAccount: string; partition: string; endpoint?: string; maxAttempts?: number },
): AwsSourceWiring {
  const sessions = memberAccountSessions({
    selfAccountId: where.ownAccount,
    partition: where.partition,
    readerRoleName: config.accounts.readerRoleName,
    ...(config.accounts.externalId !== undefined ? { externalId: config.accounts.externalId } : {}),
    sessionDurationSeconds: config.accounts.sessionDurationSeconds,
  });
  return {
    clients: awsCertificateClients({
      credentialsFor: (account) => sessions.credentials(account),
      ...(where.endpoint ? { endpoint: where.endpoint } : {}),
      ...(where.maxAttempts !== undefined ? { maxAttempts: where.maxAttempts } : {}),
    }),
    accountAccess: async (account) => {
      const access = await sessions.access(account);
      if (access.reachable || !REFUSED_ASSUMING.has(access.reason)) return access;
      const role = `arn:${where.partition}:iam::${account}:role/${config.accounts.readerRoleName}`;
      return { ...access, permission: `sts:AssumeRole on ${role} (with the stack's external ID)` };
    },
    ownAccount: where.ownAccount,
    partition: where.partition,
  };
}

export function awsSourceAdapters(
  config: AwsCertificates,
  wiring: AwsSourceWiring,
  ctx: Pick<StoreScanContext, "now" | "certificates">,
): SourceAdapter[] {
  const { clients } = wiring;
  const policy = () => ({ now: ctx.now, ...ctx.certificates.thresholds });
  const partition = wiring.partition ? { partition: wiring.partition } : {};
  const built = [
    ...eachPlace(config.acm, wiring, (selection, account, region) =>
      acmSource(clients.acm(account, region), { account, region }, selection, policy),
    ),
    // IAM is global: one place per account.
    ...eachPlace(
      config.iamServerCertificates.map((s) => ({ ...s, regions: [IAM_REGION] })),
      wiring,
      (selection, account) => iamServerCertificateSource(clients.iam(account), { account }, selection),
    ),
    ...eachPlace(config.secretsManager, wiring, (selection, account, region) =>
      secretsManagerSource(
        clients.secretsManager(account, region),
        { account, region },
        selection,
        selection.password && passwordReader(clients, account, region, selection.password),
      ),
    ),
    ...eachPlace(config.ssmParameters, wiring, (selection, account, region) =>
      ssmParameterSource(
        clients.ssm(account, region),
        { account, region, ...partition },
        selection,
        selection.password && passwordReader(clients, account, region, selection.password),
      ),
    ),
  ];
  const gate = wiring.accountAccess;
  return built.map(({ account, adapter }) =>
    gate && account !== wiring.ownAccount ? reachedFirst(adapter, account, gate) : adapter,
  );
}

/**
 * One adapter per place a selection names: each of its accounts (the stack's own when it names
 * none) × each of its regions.
 */
function eachPlace<
  Selection extends { accounts?: string[] | undefined; regions: string[] },
  Item extends ListedItem,
>(
  selections: readonly Selection[],
  wiring: Pick<AwsSourceWiring, "ownAccount">,
  adapterAt: (selection: Selection, account: string, region: string) => SourceAdapter<Item>,
): { account: string; adapter: SourceAdapter }[] {
  return selections.flatMap((selection) =>
    (selection.accounts ?? [wiring.ownAccount]).flatMap((account) =>
      selection.regions.map((region) => ({
        account,
        adapter: adapterAt(selection, account, region) as SourceAdapter,
      })),
    ),
  );
}

/** The adapter, whose listing first asks whether its account can be read. */
function reachedFirst(
  adapter: SourceAdapter,
  account: string,
  gate: NonNullable<AwsSourceWiring["accountAccess"]>,
): SourceAdapter {
  // The adapter as prototype: every other member (scope, fetch, currentVersion…) is the adapter's own.
  return Object.create(adapter, {
    list: {
      value: async function* () {
        const access = await gate(account);
        if (!access.reachable) {
          // A plain Error when the trouble passes by itself: the scan's message is then the
          // account's own (core/errors.ts describeCause), and no finding is raised.
          throw access.permission
            ? new ListingRefused({ detail: access.message, permission: access.permission })
            : new Error(access.message);
        }
        yield* adapter.list();
      },
    },
  }) as SourceAdapter;
}

/** The password of a selection's PKCS#12 values, from a secret or a parameter of the same account and region. */
function passwordReader(
  clients: AwsCertificateClients,
  account: string,
  region: string,
  source: PasswordSource,
): PasswordReader {
  const [kind, name, read] =
    "secretName" in source
      ? ([
          "secret",
          source.secretName,
          async () =>
            (
              await clients
                .secretsManager(account, region)
                .send(new GetSecretValueCommand({ SecretId: source.secretName }))
            ).SecretString,
        ] as const)
      : ([
          "parameter",
          source.parameterName,
          async () =>
            (
              await clients
                .ssm(account, region)
                .send(new GetParameterCommand({ Name: source.parameterName, WithDecryption: true }))
            ).Parameter?.Value,
        ] as const);
  const call = kind === "secret" ? "GetSecretValue" : "GetParameter";
  return {
    hint: `the password ${kind} ${name}`,
    holder: { [kind === "secret" ? "secretName" : "parameterName"]: name },
    read: async () => {
      let value: string | undefined;
      try {
        value = await read();
      } catch (error) {
        const service = kind === "secret" ? "secretsmanager" : "ssm";
        throw listingFailure(error, `${call} ${name}`, `${service}:${call} on the password ${kind} ${name}`);
      }
      if (value === undefined) throw new Error(`the ${kind} ${name} holds no string value`);
      return value;
    },
  };
}
