// Modules of libraries used one file at a time (java-keystore.ts): their packages describe only their
// index, or nothing. Only what the reader calls is declared.

declare module "jks-js/lib/keystore/JavaKeyStoreParser.js" {
  interface KeystoreCertificate {
    certType: string;
    value: Uint8Array;
  }
  interface DataStream {
    readInt(): number;
    readUTF(): string;
    readLong(): bigint | number;
    read(length: number): Uint8Array;
    offset: number;
    buffer: Uint8Array;
  }
  export interface TrustedKeyEntry {
    alias: string;
    cert: KeystoreCertificate;
  }
  export interface KeyEntry {
    alias: string;
    chain: KeystoreCertificate[];
    protectedPrivateKey: Uint8Array;
  }
  /** jks-js's JKS reader: entries in file order; with a password, the keyed SHA-1 digest is verified. */
  export default class JavaKeyStoreParser {
    constructor(keystore: Uint8Array, password?: string);
    parse(): (TrustedKeyEntry | KeyEntry)[];
    protected dataInputStream: DataStream;
    protected assertMagic(magic: number): void;
    protected assertVersion(version: number): void;
    protected readCert(version: number): KeystoreCertificate;
    protected readCertificateChain(version: number): KeystoreCertificate[];
    protected getPrivateKeyEntry(): Uint8Array;
    protected validateChecksum(): void;
    static MAGIC: number;
    static VERSION_1: number;
    static VERSION_2: number;
    static PRIVATE_KEY_TAG: number;
    static TRUSTED_CERT_TAG: number;
  }
}

declare module "java-deserialization/src/parser.js" {
  /** java-deserialization's stream parser; its constructor parses a whole buffer, `content()` one object. */
  interface JavaStreamParser {
    buf: Buffer;
    pos: number;
    nextHandle: number;
    handles: unknown[];
    contents: unknown[];
    magic(): void;
    version(): void;
    content(): unknown;
  }
  const Parser: { prototype: JavaStreamParser };
  export default Parser;
}
// node-forge one module at a time (rc2.ts).
declare module "node-forge/lib/forge.js" {
  import forge from "node-forge";
  export default forge;
}
declare module "node-forge/lib/rc2.js";

// @lapo/asn1js ships JavaScript only; certificate-layout.ts reads where elements are, nothing else.
declare module "@lapo/asn1js" {
  interface ASN1Tag {
    /** 0 universal, 1 application, 2 context-specific, 3 private. */
    tagClass: number;
    tagConstructed: boolean;
    tagNumber: number | bigint;
  }
  export class ASN1 {
    /** `type`: the class each element is made of (ASN1 or a subclass), the children's too. */
    static decode(bytes: Uint8Array, offset?: number, type?: typeof ASN1): ASN1;
    /** The element's value as text, for people. */
    content(maxLength?: number): string | null;
    readonly tag: ASN1Tag;
    /** Content length; negative for an indefinite length. */
    readonly length: number;
    readonly tagLen: number;
    readonly sub: ASN1[] | null;
    posStart(): number;
    posContent(): number;
    posEnd(): number;
  }
}
