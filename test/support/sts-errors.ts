/**
 * What the credential tests stand in for: STS's errors as the SDK raises them, and an object store
 * on which every probe step succeeds (so the finding is about the role alone).
 */
import { STSServiceException } from "@aws-sdk/client-sts";
import type { StorageSession } from "../../functions/core/credentials/ports";

/**
 * What the SDK raises for an STS error code, named by that code: how it reports a code its STS model
 * has no class for (and a modelled one reached through the base class).
 */
export function stsServiceError(
  code: string,
  status: number,
  fault: "client" | "server" = "client",
): STSServiceException {
  return new STSServiceException({
    name: code,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    message: `${code} from STS`,
  });
}

/** A bucket on which every step of the probe succeeds. */
export const healthyStorage: StorageSession = {
  headBucket: async () => undefined,
  listObjects: async () => undefined,
  putObject: async () => undefined,
  getObject: async () => new Uint8Array(),
  deleteObject: async () => undefined,
};
