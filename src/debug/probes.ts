// What the kubelet's probes do to a program paused at a breakpoint: from the container spec, how long a
// pause may last before the liveness probe restarts the container (or the readiness probe takes the pod
// out of its Service), said before the session starts. Pure functions over the pod's JSON, unit-tested.

/** A container probe as the pod's JSON has it (Kubernetes core/v1 Probe; only what the timing needs). */
export interface Probe {
  exec?: unknown;
  httpGet?: unknown;
  tcpSocket?: unknown;
  grpc?: unknown;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

/** The probes of a container spec. */
export interface ContainerProbes {
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

/** The timing of one probe with Kubernetes' defaults filled in, and the pause it tolerates, in seconds. */
export interface PauseLimit {
  /** How the probe checks: exec, httpGet, tcpSocket or grpc. */
  handler: string;
  periodSeconds: number;
  failureThreshold: number;
  timeoutSeconds: number;
  initialDelaySeconds: number;
  /** A pause up to this long never trips the probe: (failureThreshold - 1) x periodSeconds + timeoutSeconds
   * (the pause begins just before a probe, and each of the failures takes its timeout). */
  safeSeconds: number;
  /** A pause this long always trips it: failureThreshold x periodSeconds + timeoutSeconds. */
  trippedSeconds: number;
}

/** What a pause at a breakpoint risks in one container, as `-o json` prints it (`probes`). */
export interface ProbeReport {
  /** Restarts the container (and ends the session) once tripped. */
  liveness?: PauseLimit;
  /** Takes the pod out of its Service's endpoints while tripped; no restart. */
  readiness?: PauseLimit;
  /** One line for people. */
  summary: string;
}

// Defaults of core/v1 Probe (Kubernetes API reference: periodSeconds 10, failureThreshold 3,
// timeoutSeconds 1, initialDelaySeconds 0).
const DEFAULTS = { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 1, initialDelaySeconds: 0 };

const positive = (v: unknown, fallback: number) =>
  typeof v === "number" && Number.isFinite(v) && v >= 1 ? v : fallback;

/**
 * The pause a probe tolerates: a probe fails once every `periodSeconds` while the program is paused (for an
 * httpGet, grpc or exec probe that asks the program; a tcpSocket probe may still pass, as the kernel
 * accepts connections for a paused listener), and after `failureThreshold` consecutive failures the
 * kubelet acts. `initialDelaySeconds` only delays the first probe after the container starts.
 */
export function pauseLimit(probe: Probe): PauseLimit {
  const periodSeconds = positive(probe.periodSeconds, DEFAULTS.periodSeconds);
  const failureThreshold = positive(probe.failureThreshold, DEFAULTS.failureThreshold);
  const timeoutSeconds = positive(probe.timeoutSeconds, DEFAULTS.timeoutSeconds);
  const initialDelaySeconds = typeof probe.initialDelaySeconds === "number" && probe.initialDelaySeconds > 0
    ? probe.initialDelaySeconds
    : DEFAULTS.initialDelaySeconds;
  const handler = ["exec", "httpGet", "tcpSocket", "grpc"].find((h) => h in probe) ?? "exec";
  return {
    handler,
    periodSeconds,
    failureThreshold,
    timeoutSeconds,
    initialDelaySeconds,
    safeSeconds: (failureThreshold - 1) * periodSeconds + timeoutSeconds,
    trippedSeconds: failureThreshold * periodSeconds + timeoutSeconds,
  };
}

function timing(l: PauseLimit): string {
  return `${l.handler} every ${l.periodSeconds} s, ${l.failureThreshold} failures, timeout ${l.timeoutSeconds} s`;
}

/**
 * What pausing the program of a container risks, from its spec's probes (a pod's `spec.containers[i]`).
 * `lifted` says the liveness probe was lifted for the session (`--lift-liveness-probe`). A startup probe
 * plays no part: it runs only until the container has started, and debug waits for the pod to be Ready,
 * which needs it passed; it runs again only after a restart.
 */
export function probeReport(container: ContainerProbes, lifted = false): ProbeReport {
  const liveness = container.livenessProbe ? pauseLimit(container.livenessProbe) : undefined;
  const readiness = container.readinessProbe ? pauseLimit(container.readinessProbe) : undefined;
  const parts: string[] = [];
  if (liveness) {
    parts.push(
      `liveness probe: a pause at a breakpoint longer than ${liveness.safeSeconds} s (at most ${liveness.trippedSeconds} s) ` +
        `restarts the container and ends the session (${timing(liveness)}); --lift-liveness-probe lifts it`,
    );
  } else {
    parts.push(
      `liveness probe: none${lifted ? " (lifted for this session)" : ""}, so pauses at a breakpoint are safe`,
    );
  }
  if (readiness) {
    parts.push(
      `readiness probe: paused longer than ${readiness.safeSeconds} s, the pod leaves its Service's endpoints until it runs again (${
        timing(readiness)
      })`,
    );
  }
  return {
    ...(liveness ? { liveness } : {}),
    ...(readiness ? { readiness } : {}),
    summary: parts.join("; "),
  };
}
