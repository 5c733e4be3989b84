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
  // One line per refused certificate, role set and reason: the peers that refuse it alike together.
  const byPair = new Map<
    string,
    { presenter: string; truster: string; because: string; roles: PeerRole[] }
  >();
  for (const c of report.matrix.filter((cell) => cell.verdict === "refused")) {
    const because = c.because ?? c.reason ?? "refused";
    const key = `${c.truster}\u0000${c.presenter}\u0000${because}`;
    const entry = byPair.get(key) ?? { presenter: c.presenter, truster: c.truster, because, roles: [] };
    entry.roles.push(c.role);
    byPair.set(key, entry);
  }
  const byReason = new Map<
    string,
    { presenter: string; roles: string; because: string; trusters: string[] }
  >();
  for (const { presenter, truster, because, roles } of byPair.values()) {
    const shown = roles.map((r) => `as ${r}`).join(" and ");
    const key = `${presenter}\u0000${shown}\u0000${because}`;
    const entry = byReason.get(key) ?? { presenter, roles: shown, because, trusters: [] };
    entry.trusters.push(truster);
    byReason.set(key, entry);
  }
  if (byReason.size > 0) {
    lines.push("", "Refused:");
    for (const { presenter, roles, because, trusters } of byReason.values()) {
      const who = trusters.length === 1 ? `${trusters[0]} refuses` : `${trusters.join(", ")} refuse`;
      lines.push(visibleText(`  ${who} ${presenter} (${roles}): ${because}`));
    }
  }
  return lines;
}
