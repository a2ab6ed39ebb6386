/**
 * The page's side of the bridge: calls go out as JSON strings through a `post` function (the
 * WebView's JS interface, `window.parent.postMessage` in the simulator), answers and events
 * come back through {@link BridgeClient.receive}. Every decision is the core's; this only
 * correlates answers with calls and hands events to listeners.
 */
import { BridgeCallError, type BridgeEvent, type BridgeResponse } from "./protocol.js";

/** How the page reaches the core: sends one JSON string. */
export type Post = (json: string) => void;

/** Options of a {@link BridgeClient}. */
export interface ClientOptions {
  /**
   * Give up on a call after this many milliseconds: the answer never came (the carrier is gone).
   * Default 6 minutes, longer than a container waits for a person to answer a dialog, a consent
   * prompt or the scanner (5 minutes), so a slow person is never cut off. The refusal has
   * `zkCode` `timeout`, the one code made on the page rather than by the core.
   */
  timeoutMs?: number;
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A typed client of the core's bridge. */
export class BridgeClient {
  private nextId = 1;
  /**
   * Ids are unique to this page load: after a reload (`openLink({type: 'reload'})`) a late
   * answer to the old page's call cannot resolve the new page's call of the same number.
   */
  private readonly idPrefix = Math.random().toString(36).slice(2, 10);
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<string, Set<(data: unknown) => void>>();
  private readonly timeoutMs: number;

  constructor(
    private readonly post: Post,
    options: ClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 360_000;
  }

  /** Calls `method` with `params`; resolves with its result, rejects with a {@link BridgeCallError}. */
  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = `${this.idPrefix}-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(String(id));
        reject(
          new BridgeCallError(method, {
            code: -1,
            zkCode: "timeout",
            message: `调用 ${method} 超时`,
          }),
        );
      }, this.timeoutMs);
      this.pending.set(String(id), {
        method,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      try {
        this.post(JSON.stringify({ id, method, params }));
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(String(id));
        reject(e);
      }
    });
  }

  /** Hands the client one string from the core: an answer (it has an `id`) or an event. */
  receive(json: string): void {
    let message: BridgeResponse | BridgeEvent;
    try {
      message = JSON.parse(json);
    } catch {
      return;
    }
    if ("event" in message && typeof message.event === "string") {
      for (const listener of this.listeners.get(message.event) ?? []) {
        listener(message.data);
      }
      return;
    }
    const answer = message as BridgeResponse;
    const pending = this.pending.get(String(answer.id));
    if (!pending) return;
    this.pending.delete(String(answer.id));
    clearTimeout(pending.timer);
    if (answer.ok) {
      pending.resolve(answer.result);
    } else {
      pending.reject(
        new BridgeCallError(
          pending.method,
          answer.error ?? { code: 1001, zkCode: "server_error", message: "未知错误" },
        ),
      );
    }
  }

  /** Listens for an event of the core; returns a function that stops listening. */
  on(event: string, listener: (data: unknown) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }

  /** Calls still waiting for an answer. */
  get inFlight(): number {
    return this.pending.size;
  }
}
