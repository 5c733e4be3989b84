import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { afterAll } from "vitest";
import { installAwsCallRecorder } from "./aws-call-recorder";

// @peculiar/x509 signs and verifies through WebCrypto; tests generate all certificates at run time.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

// Every AWS call the code makes is recorded for the IAM simulation when WATCHPOST_AWS_CALLS_DIR is set.
afterAll(installAwsCallRecorder());
