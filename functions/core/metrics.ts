/**
 * CloudWatch metric names, defined once: the handlers emit them through Powertools (EMF) and the
 * stack's dashboard and alarms read them back, so both sides must spell them the same way.
 *
 * Cardinality stays bounded: dimensions are the check name, the credential step and the severity,
 * never a certificate, object key or role.
 */
export const METRICS_NAMESPACE = "Watchpost";

/** Powertools adds `service` as a dimension to every metric; every function uses this value. */
export const SERVICE_NAME = "watchpost";

export const METRIC = {
  /** 1 after a complete scheduled (whole-store) certificate scan; the 26 h staleness alarm watches it. */
  scanSucceeded: "ScanSucceeded",
  scanDurationMs: "ScanDurationMs",
  certificatesScanned: "CertificatesScanned",
  /** Objects downloaded by a scan (new or changed since the inventory recorded them). */
  objectsDownloaded: "ObjectsDownloaded",
  /** Objects judged again from the inventory, without a download. */
  objectsReused: "ObjectsReused",
  /** Count of findings, dimension `Check`. */
  findings: "Findings",
  /** Days until the soonest `notAfter` among the scanned certificates (negative once expired). */
  soonestDaysToExpiry: "SoonestDaysToExpiry",
  /** Duration of one credential-check step, dimension `Step`. */
  credentialStepLatencyMs: "CredentialStepLatencyMs",
  /** Alarms active after a run, dimension `Severity`. */
  activeAlarms: "ActiveAlarms",
  /** Alarm notifications published by the notifier. */
  notificationsPublished: "NotificationsPublished",
} as const;

export const DIMENSION = {
  service: "service",
  check: "Check",
  step: "Step",
  severity: "Severity",
} as const;
