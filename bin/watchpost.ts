#!/usr/bin/env node
/** Entry point of the `watchpost` command-line tool (`npm run -s cli -- ...`). */
import "./quiet-sdk-warning";
import { visibleText } from "../functions/core/visible-text";
import { processIo } from "./cli/io";
import { main } from "./cli/main";

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Not a finding and not a usage mistake: a defect in watchpost itself.
    process.stderr.write(
      `watchpost: internal error: ${visibleText(error instanceof Error ? error.message : String(error))}\n`,
    );
    process.exitCode = 4;
  },
);
