/** The local AWS stand-ins the integration tests use live with the local demo, in bin/local/. */
export * from "../../bin/local/emulators";
