/**
 * Sessions in member accounts and the SDK clients that use them. The scan assumes the reader role
 * (lib/member-account-reader-stack.ts) in each account a source names, caches the session until
 * shortly before it expires, and creates each service's client once per account and Region. Clients
 * take their credentials from a provider that refreshes the cached session, so a client outlives its
 * session; the SDK asks the provider again once the identity is within five minutes of expiry.
 *
 * An account whose role cannot be assumed is an outcome (`AccountUnreachable`), never a throw: the
 * caller re-checks nothing of that account and therefore clears nothing of it.
 */
import { AssumeRoleCommand, STSClient, type STSClientConfig } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { type AccountUnreachable, accountUnreachable } from "../core/accounts/unreachable";
import { failureFacts } from "../core/credentials/failure";
import { type BoundedClientOptions, boundedClientConfig } from "./clients/bounded";

/** The session name CloudTrail shows in the member account for every call the scan makes there. */
export const READER_SESSION_NAME = "watchpost-scan";
/** A session is renewed this long before it expires, so no call starts with minutes left. */
export const RENEW_BEFORE_MS = 5 * 60_000;
/** A refused account is not asked again for this long: one scan's sources share the answer. */
export const FAILURE_MEMORY_MS = 60_000;

const CALL_DEFAULTS = { connectionTimeoutMs: 3_000, requestTimeoutMs: 10_000 };

export interface MemberAccountOptions {
  /** The stack's own account: sources there are read with the function's own role, no AssumeRole. */
  selfAccountId?: string;
  partition?: string;
  readerRoleName: string;
  externalId?: string;
  sessionDurationSeconds: number;
  /** The Region of the STS endpoint (regional endpoints; default the function's own). */
  stsRegion?: string;
  stsClient?: STSClient;
  /** Merged into every service client (tests point them at loopback stand-ins). */
  clientOptions?: (region: string) => BoundedClientOptions;
  now?: () => number;
}

// biome-ignore lint/suspicious/noExplicitAny: any SDK v3 client class; its config type varies per service
type ClientClass<C> = new (config: any) => C;

export interface AccountReachable {
  reachable: true;
  account: string;
  /** The service's client for this account and Region, created on first use and then reused. */
  client<C>(Service: ClientClass<C>, region: string): C;
}

export type AccountAccess = AccountReachable | AccountUnreachable;

export interface MemberAccountSessions {
  access(account: string | undefined): Promise<AccountAccess>;
  /**
   * A credentials provider for clients made elsewhere (adapters/aws-certificates/clients.ts): the
   * cached member session, renewed like the clients `access` hands out; undefined for the own
   * account, whose clients keep the function's own credentials.
   */
  credentials(account: string): AwsCredentialIdentityProvider | undefined;
  /** Releases every client's sockets (a CLI run ends; Lambda keeps them warm). */
  close(): void;
}

type Session = AwsCredentialIdentity & { expiration: Date };

interface AccountState {
  session?: Session;
  pending?: Promise<Session>;
  refusal?: { at: number; outcome: AccountUnreachable };
  clients: WeakMap<object, Map<string, { destroy?: () => void }>>;
  created: { destroy?: () => void }[];
}

class IncompleteAssumeRoleResponse extends Error {
  override readonly name = "IncompleteAssumeRoleResponse";
}

export function memberAccountSessions(options: MemberAccountOptions): MemberAccountSessions {
  const now = options.now ?? Date.now;
  const partition = options.partition ?? "aws";
  const states = new Map<string, AccountState>();
  let sts: STSClient | undefined;

  function stsClient(): STSClient {
    sts ??=
      options.stsClient ??
      new STSClient(
        boundedClientConfig({ region: options.stsRegion, maxAttempts: 3 }, CALL_DEFAULTS) as STSClientConfig,
      );
    return sts;
  }

  function stateOf(account: string): AccountState {
    let state = states.get(account);
    if (!state) {
      state = { clients: new WeakMap(), created: [] };
      states.set(account, state);
    }
    return state;
  }

  async function assume(account: string): Promise<Session> {
    const answer = await stsClient().send(
      new AssumeRoleCommand({
        RoleArn: `arn:${partition}:iam::${account}:role/${options.readerRoleName}`,
        RoleSessionName: READER_SESSION_NAME,
        DurationSeconds: options.sessionDurationSeconds,
        ...(options.externalId !== undefined ? { ExternalId: options.externalId } : {}),
      }),
    );
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new IncompleteAssumeRoleResponse("AssumeRole answered without complete credentials");
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  }

  /** The cached session, or a new one; concurrent callers share one AssumeRole call. */
  function session(account: string): Promise<Session> {
    const state = stateOf(account);
    if (state.session && state.session.expiration.getTime() - RENEW_BEFORE_MS > now()) {
      return Promise.resolve(state.session);
    }
    state.pending ??= assume(account).then(
      (fresh) => {
        state.session = fresh;
        state.pending = undefined;
        return fresh;
      },
      (error: unknown) => {
        state.pending = undefined;
        throw error;
      },
    );
    return state.pending;
  }

  function reachable(account: string, own: boolean): AccountReachable {
    const state = stateOf(account);
    return {
      reachable: true,
      account,
      client<C>(Service: ClientClass<C>, region: string): C {
        let byRegion = state.clients.get(Service);
        if (!byRegion) {
          byRegion = new Map();
          state.clients.set(Service, byRegion);
        }
        let client = byRegion.get(region);
        if (!client) {
          client = new Service(
            boundedClientConfig(
              {
                region,
                ...options.clientOptions?.(region),
                ...(own ? {} : { credentials: () => session(account) }),
              },
              CALL_DEFAULTS,
            ),
          ) as { destroy?: () => void };
          byRegion.set(region, client);
          state.created.push(client);
        }
        return client as C;
      },
    };
  }

  return {
    async access(account) {
      if (account === undefined || account === options.selfAccountId) {
        return reachable(account ?? options.selfAccountId ?? "self", true);
      }
      const state = stateOf(account);
      if (state.refusal && now() - state.refusal.at < FAILURE_MEMORY_MS) return state.refusal.outcome;
      try {
        await session(account);
        state.refusal = undefined;
        return reachable(account, false);
      } catch (error) {
        const outcome = accountUnreachable(failureFacts(error), account, options.readerRoleName);
        state.refusal = { at: now(), outcome };
        return outcome;
      }
    },
    credentials(account) {
      return account === options.selfAccountId ? undefined : () => session(account);
    },
    close() {
      for (const state of states.values()) for (const client of state.created) client.destroy?.();
      sts?.destroy();
    },
  };
}
