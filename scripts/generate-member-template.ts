/**
 * Writes templates/member-account-reader.template.json, the CloudFormation template of the
 * member-account reader role (lib/member-account-reader-stack.ts), and
 * templates/member-account-events.template.json, the member account's event forwarder
 * (lib/member-account-events-stack.ts): what `aws cloudformation
 * create-stack-set --template-body file://…` takes (docs/member-accounts.md). Synthesized with the
 * project's feature flags and cdk-nag on. One of the generated files (scripts/generated-files.ts):
 * `npm run generate` writes it and test/unit/generated-files.test.ts fails when the committed file
 * differs. It is not part of bin/app.ts, so `cdk deploy` keeps deploying the one watchpost stack;
 * .ci/run lints and guards the committed file (scripts/matrix-manifest.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, type Stack, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { MemberAccountEventsStack } from "../lib/member-account-events-stack";
import { MemberAccountReaderStack } from "../lib/member-account-reader-stack";
import { generatedJsonComment } from "./generated-files";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const MEMBER_TEMPLATE_PATH = join(ROOT, "templates", "member-account-reader.template.json");
export const MEMBER_EVENTS_TEMPLATE_PATH = join(ROOT, "templates", "member-account-events.template.json");

/** The template as `cdk synth` writes it (cdk.json's context, cdk-nag's AWS Solutions checks). */
export function memberTemplate(
  make: (app: App) => Stack = (app) => new MemberAccountReaderStack(app, "WatchpostMemberAccountReader"),
): Record<string, unknown> {
  const context = JSON.parse(readFileSync(join(ROOT, "cdk.json"), "utf8")).context as Record<string, unknown>;
  const app = new App({ context });
  const stack = make(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app.synth().getStackArtifact(stack.artifactId).template as Record<string, unknown>;
}

/** The event forwarder's template, synthesized the same way. */
export function memberEventsTemplate(): Record<string, unknown> {
  return memberTemplate((app) => new MemberAccountEventsStack(app, "WatchpostMemberAccountEvents"));
}

/**
 * The committed file: the template with, first, a top-level Metadata entry saying it is generated
 * (CloudFormation User Guide, "Metadata": template-level details, ignored by deployment).
 */
export function renderMemberTemplate(): string {
  return rendered(memberTemplate(), "lib/member-account-reader-stack.ts");
}

export function renderMemberEventsTemplate(): string {
  return rendered(memberEventsTemplate(), "lib/member-account-events-stack.ts");
}

function rendered(template: Record<string, unknown>, source: string): string {
  const { Metadata, ...rest } = template as { Metadata?: Record<string, unknown> };
  const marker = generatedJsonComment("scripts/generate-member-template.ts", source);
  return `${JSON.stringify({ Metadata: { Generated: marker, ...Metadata }, ...rest }, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(MEMBER_TEMPLATE_PATH, renderMemberTemplate());
  writeFileSync(MEMBER_EVENTS_TEMPLATE_PATH, renderMemberEventsTemplate());
  console.log(
    "wrote templates/member-account-reader.template.json, templates/member-account-events.template.json",
  );
}
