#!/usr/bin/env node
// Entry point for `npm install -g` / `npx watchpost`: runs the TypeScript CLI through tsx.
import { register } from "tsx/esm/api";

register();
await import("./watchpost.ts");
