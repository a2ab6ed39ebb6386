/**
 * `window.ZWJSBridge` as 浙里办 mini-apps call it, over the core: `onReady(cb)`, then one
 * promise-returning function per method the core serves — exactly those, so an app's guard
 * (`if (ZWJSBridge.ssoTicket)`) tells the truth. Results are the core's (`ssoTicket({})` →
 * `{result: true, ticketId}`, `getUiStyle()` → `{uiStyle}`); failures reject with a
 * {@link BridgeCallError} carrying the platform's numeric `code`.
 */
import type { BridgeClient } from "./client.js";
import { METHODS } from "./protocol.js";

/** A ZWJSBridge method: a promise of its result. */
export type ZwMethod = (params?: Record<string, unknown>) => Promise<any>;

/** The shim's shape: `onReady` plus the served methods. */
export interface ZWJSBridge {
  /** Runs `callback` once the container is ready (at once if it already is). */
  onReady(callback: () => void): void;
  /** The version of the bridge's method table. */
  readonly version: string;
  [method: string]: ZwMethod | ((callback: () => void) => void) | string;
}

/** Callbacks some apps pass instead of awaiting (`getLocation({success, fail})`). */
function settle(promise: Promise<unknown>, params?: Record<string, unknown>): Promise<unknown> {
  const success = params?.success;
  const fail = params?.fail;
  if (typeof success === "function" || typeof fail === "function") {
    promise.then(
      (r) => typeof success === "function" && success(r),
      (e) => typeof fail === "function" && fail(e),
    );
  }
  return promise;
}

function plain(params?: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (typeof v !== "function") out[k] = v;
  }
  return out;
}

/**
 * A ZWJSBridge over `client`. `ready` resolves when the core is open; until then every call
 * waits for it, as on the platform.
 */
export function createZWJSBridge(client: BridgeClient, ready: Promise<void>, version: string): ZWJSBridge {
  const bridge: Record<string, unknown> = {
    version,
    onReady(callback: () => void) {
      ready.then(() => callback());
    },
  };
  for (const m of METHODS.filter((m) => m.family === "zwjs")) {
    bridge[m.name] = (params?: Record<string, unknown>) =>
      settle(
        ready.then(() => client.call(m.name, plain(params))),
        params,
      );
  }
  return bridge as unknown as ZWJSBridge;
}
