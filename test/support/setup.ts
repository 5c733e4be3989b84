import "../../bin/quiet-sdk-warning";
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// @peculiar/x509 signs and verifies through WebCrypto; tests generate all certificates at run time.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);
