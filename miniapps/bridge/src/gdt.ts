/**
 * The `gdt-jsapi` subset an official's mini-app on 浙政钉 needs — `ready`, `getAuthCode`,
 * `authConfig` — over the core. Import it where an app imports `gdt-jsapi`
 * (`@zhelikit/bridge/gdt-jsapi`), or use `window.gdt` in the container.
 */
import type { BridgeClient } from "./client.js";
import { METHODS } from "./protocol.js";

/** How long `ready` waits for the container before going on anyway, as gdt-jsapi does. */
export const READY_FALLBACK_MS = 5200;

/** The gdt-jsapi functions the core serves. */
export interface GdtJsapi {
  ready(): Promise<void>;
  getAuthCode(params: { corpId?: string }): Promise<{ code: string; auth_code: string }>;
  authConfig(params: { ticket: string; jsApiList: string[] }): Promise<Record<string, never>>;
  [method: string]: (params?: any) => Promise<any>;
}

/** gdt-jsapi over `client`. */
export function createGdtJsapi(client: BridgeClient, ready: Promise<void>): GdtJsapi {
  const api: Record<string, unknown> = {};
  for (const m of METHODS.filter((m) => m.family === "gdt")) {
    api[m.name] = (params: Record<string, unknown> = {}) => ready.then(() => client.call(m.name, params));
  }
  api.ready = () =>
    Promise.race([
      ready.then(() => client.call("ready", {})).then(() => undefined),
      new Promise<void>((resolve) => setTimeout(resolve, READY_FALLBACK_MS)),
    ]);
  return api as unknown as GdtJsapi;
}
