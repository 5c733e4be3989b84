/**
 * A peer group as the cluster sees it, for a terminal (`scan --peer`, `npm start`): who accepts
 * whom — a row's certificate as each column's trust store judges it — then each peer's status
 * line. Names come from configuration and certificates: control characters are shown, not obeyed.
 */
import type { PeerGroupReport, PeerRole } from "../../functions/core/contracts";
import { visibleText } from "../../functions/core/visible-text";

/** The cell of one ordered pair over the group's roles. */
function cellOf(report: PeerGroupReport, presenter: string, truster: string): string {
  if (presenter === truster) return "-";
  const cells = report.matrix.filter((c) => c.presenter === presenter && c.truster === truster);
  if (cells.length === 0) return "";
  if (cells.some((c) => c.verdict === "unknown")) return "?";
  const refused = cells.filter((c) => c.verdict === "refused").map((c) => c.role);
  if (refused.length === 0) return "ok";
  if (refused.length === report.roles.length) return "REFUSED";
  return refused.map((role: PeerRole) => `REFUSED as ${role}`).join(", ");
}

export function peerGroupLines(report: PeerGroupReport): string[] {
  const names = report.peers.map((p) => p.fqdn);
  const presenters = names.filter((name) => report.matrix.some((c) => c.presenter === name));
  const side =
    report.certificates === "live" ? "the chains the peers' endpoints present" : "stored certificates";
  const lines = [
    visibleText(`PEER GROUP ${report.group} (${side}; roles: ${report.roles.join(", ")})`),
    "Each row's certificate as each column's trust store judges it (ok, REFUSED, ? not known):",
  ];
  const header = ["PRESENTS \\ TRUSTS", ...names.map(visibleText)];
  const rows = presenters.map((presenter) => [
    visibleText(presenter),
    ...names.map((truster) => cellOf(report, presenter, truster)),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)));
  const format = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  lines.push(format(header), ...rows.map(format), "");
  const nameWidth = Math.max(...names.map((n) => visibleText(n).length));
  const statusOf = (peer: PeerGroupReport["peers"][number]) => peer.status ?? "(no certificate on this side)";
  const statusWidth = Math.max(...report.peers.map((p) => statusOf(p).length));
  for (const peer of report.peers) {
    const trust = peer.trustStore ? `  trusts ${visibleText(peer.trustStore)}` : "";
    lines.push(
      `${visibleText(peer.fqdn).padEnd(nameWidth)}  ${statusOf(peer).padEnd(statusWidth)}${trust}`.trimEnd(),
    );
  }
  // One line per refusing pair and reason, its roles together.
  const refusals = new Map<string, { roles: PeerRole[]; line: (roles: string) => string }>();
  for (const c of report.matrix.filter((cell) => cell.verdict === "refused")) {
    const key = `${c.truster}\u0000${c.presenter}\u0000${c.because ?? c.reason}`;
    const entry = refusals.get(key) ?? {
      roles: [],
      line: (roles: string) => `  ${c.truster} refuses ${c.presenter} (${roles}): ${c.because ?? c.reason}`,
    };
    entry.roles.push(c.role);
    refusals.set(key, entry);
  }
  if (refusals.size > 0) {
    lines.push("", "Refused:");
    for (const { roles, line } of refusals.values())
      lines.push(visibleText(line(roles.map((r) => `as ${r}`).join(" and "))));
  }
  return lines;
}
