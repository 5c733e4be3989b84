/**
 * STS as a Lambda function meets it: the function already runs in its execution role's session,
 * so every AssumeRole it sends is role chaining. STS API Reference, AssumeRole, DurationSeconds
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html): "if you assume a role
 * using role chaining and provide a DurationSeconds parameter value greater than one hour, the
 * operation fails"; values start at 900; "By default, the value is set to 3600 seconds". The refusal
 * is a 400 ValidationError whose message AWS's knowledge center quotes ("The requested
 * DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.").
 *
 * Installed on an aws-sdk-client-mock of STSClient: STS has no local implementation.
 */
import { type AssumeRoleCommandInput, STSServiceException } from "@aws-sdk/client-sts";

const CHAINED_SESSION_LIMIT_SECONDS = 3600;
const DEFAULT_DURATION_SECONDS = 3600;
const MIN_DURATION_SECONDS = 900;

function validationError(message: string): STSServiceException {
  return new STSServiceException({
    name: "ValidationError",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
    message,
  });
}

/** AssumeRole answered as STS answers a role-chained request at `now()`. */
export function roleChainedAssumeRole(now: () => Date) {
  return (input: AssumeRoleCommandInput) => {
    const duration = input.DurationSeconds ?? DEFAULT_DURATION_SECONDS;
    if (duration < MIN_DURATION_SECONDS) {
      throw validationError(
        `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
      );
    }
    if (duration > CHAINED_SESSION_LIMIT_SECONDS) {
      throw validationError(
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      );
    }
    return {
      Credentials: {
        AccessKeyId: "ASIACHAINEDSESSION01",
        SecretAccessKey: "chained-session-secret-key-not-a-real-one",
        SessionToken: "chained-session-token",
        Expiration: new Date(now().getTime() + duration * 1000),
      },
    };
  };
}
