// A minimal Debug Adapter Protocol client over TCP (https://microsoft.github.io/debug-adapter-protocol/):
// `Content-Length`-framed JSON messages. The plugin uses it to prove that debugpy really listens behind
// a port-forward (a TCP connect through kubectl succeeds even when nothing listens in the pod); the
// tests use it to play VS Code.

/** A DAP message: request, response or event. */
export interface DapMessage {
  seq: number;
  type: "request" | "response" | "event";
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
  arguments?: Record<string, unknown>;
}

/** A connected DAP session. */
export interface DapClient {
  /** Sends a request; resolves with its response (rejects when the adapter answers success: false). */
  request(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<DapMessage>;
  /** Resolves with the next event of that name (including ones already received and not taken). */
  event(name: string, timeoutMs?: number): Promise<DapMessage>;
  close(): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Connects to a debug adapter on 127.0.0.1:`port`.
 *
 * @throws Error when the connection is refused.
 */
export async function connectDap(port: number, hostname = "127.0.0.1"): Promise<DapClient> {
  const conn = await Deno.connect({ hostname, port });
  let seq = 1;
  const pending = new Map<number, { resolve: (m: DapMessage) => void; reject: (e: Error) => void }>();
  const events: DapMessage[] = [];
  const waiters: { name: string; resolve: (m: DapMessage) => void }[] = [];
  let closed = false;
  let failure: Error | undefined;

  const deliver = (msg: DapMessage) => {
    if (msg.type === "response" && msg.request_seq !== undefined) {
      const p = pending.get(msg.request_seq);
      pending.delete(msg.request_seq);
      if (p) msg.success ? p.resolve(msg) : p.reject(new Error(`${msg.command}: ${msg.message ?? "failed"}`));
    } else if (msg.type === "event") {
      const i = waiters.findIndex((w) => w.name === msg.event);
      if (i >= 0) waiters.splice(i, 1)[0].resolve(msg);
      else events.push(msg);
    }
  };

  (async () => {
    let buffer = new Uint8Array(0);
    const chunk = new Uint8Array(65536);
    try {
      while (true) {
        const n = await conn.read(chunk);
        if (n === null) break;
        const next = new Uint8Array(buffer.length + n);
        next.set(buffer);
        next.set(chunk.subarray(0, n), buffer.length);
        buffer = next;
        while (true) {
          const text = decoder.decode(buffer.subarray(0, Math.min(buffer.length, 256)));
          const headerEnd = text.indexOf("\r\n\r\n");
          if (headerEnd < 0) break;
          const length = Number(/Content-Length: *(\d+)/i.exec(text.slice(0, headerEnd))?.[1]);
          const start = encoder.encode(text.slice(0, headerEnd + 4)).length;
          if (buffer.length < start + length) break;
          deliver(JSON.parse(decoder.decode(buffer.subarray(start, start + length))));
          buffer = buffer.subarray(start + length);
        }
      }
      failure = new Error("the debug adapter closed the connection");
    } catch (error) {
      failure = error as Error;
    } finally {
      closed = true;
      for (const p of pending.values()) p.reject(failure ?? new Error("closed"));
      pending.clear();
    }
  })();

  const withTimeout = <T>(promise: Promise<T>, ms: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
      promise.then((v) => (clearTimeout(timer), resolve(v)), (e) => (clearTimeout(timer), reject(e)));
    });

  return {
    request(command, args = {}, timeoutMs = 10_000) {
      if (closed) return Promise.reject(failure ?? new Error("closed"));
      const s = seq++;
      const body = encoder.encode(JSON.stringify({ seq: s, type: "request", command, arguments: args }));
      const promise = new Promise<DapMessage>((resolve, reject) => pending.set(s, { resolve, reject }));
      conn.write(new Uint8Array([...encoder.encode(`Content-Length: ${body.length}\r\n\r\n`), ...body]))
        .catch(() => {});
      return withTimeout(promise, timeoutMs, `response to ${command}`);
    },
    event(name, timeoutMs = 10_000) {
      const i = events.findIndex((e) => e.event === name);
      if (i >= 0) return Promise.resolve(events.splice(i, 1)[0]);
      return withTimeout(
        new Promise<DapMessage>((resolve) => waiters.push({ name, resolve })),
        timeoutMs,
        `${name} event`,
      );
    },
    close() {
      try {
        conn.close();
      } catch { /* closed */ }
    },
  };
}

/**
 * Proves a debug adapter answers on `port`: sends `initialize`, waits for its response, then
 * `disconnect` with `terminateDebuggee: false`, so the debuggee keeps waiting for the real client.
 *
 * @returns the adapter's capabilities, or undefined when nothing answered a DAP request
 */
export async function probeDap(port: number, timeoutMs = 3000): Promise<Record<string, unknown> | undefined> {
  let client: DapClient | undefined;
  try {
    client = await connectDap(port);
    const init = await client.request("initialize", {
      clientID: "helm-fastcs",
      adapterID: "debugpy",
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: "path",
    }, timeoutMs);
    await client.request("disconnect", { terminateDebuggee: false, restart: false }, timeoutMs).catch(
      () => {},
    );
    return init.body ?? {};
  } catch {
    return undefined;
  } finally {
    client?.close();
  }
}
