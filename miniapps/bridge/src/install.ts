/**
 * Puts the bridge on `window` the way the container does before a mini-app's scripts run:
 * `window.ZWJSBridge`, `window.ZwLog`, `window.gdt`, `window.zhelikit` (`call`, `on`), and a harmless `window.aplus_queue` (many
 * apps push Alibaba tracking calls to it). The carrier is found in this order:
 * `window.ZheliKitNative.postMessage` (an Android WebView's JS interface, or iOS's
 * `webkit.messageHandlers.zhelikit`), else `window.parent.postMessage` (the simulator's frame).
 * The host hands answers and events back through `window.__zhelikit.receive(json)`.
 */
import { BridgeClient, type Post } from "./client.js";
import { createGdtJsapi } from "./gdt.js";
import { BRIDGE_VERSION } from "./protocol.js";
import { createZWJSBridge } from "./zwjsbridge.js";
import { createZwLog } from "./zwlog.js";

/** How strings reach the core from this page. */
export interface Carrier {
  post: Post;
  /** Resolves once the core is open (the host says `ready`). */
  ready: Promise<void>;
  /** Whether answers come as frame messages from the parent (the simulator), rather than
   * through `window.__zhelikit.receive` (a WebView host). */
  framed: boolean;
}

/** What {@link install} put on the page. */
export interface Installed {
  client: BridgeClient;
}

/** The message a frame posts to its parent, and the parent posts back. */
export const FRAME_MESSAGE = "zhelikit-bridge";

function frameCarrier(w: any): Carrier {
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  w.addEventListener("message", (e: MessageEvent) => {
    const data = e.data;
    // Only the container (the parent) may say it is ready.
    if (e.source === w.parent && data && data.type === FRAME_MESSAGE && data.ready) markReady();
  });
  return {
    post: (json) => w.parent.postMessage({ type: FRAME_MESSAGE, json }, "*"),
    ready,
    framed: true,
  };
}

/** Finds the carrier of `w` (see the module's description). */
export function carrierOf(w: any): Carrier {
  const native = w.ZheliKitNative ?? w.webkit?.messageHandlers?.zhelikit;
  if (native && typeof native.postMessage === "function") {
    return { post: (json) => native.postMessage(json), ready: Promise.resolve(), framed: false };
  }
  return frameCarrier(w);
}

/** Installs the bridge on `w` (the page's `window`); idempotent. */
export function install(w: any, carrier: Carrier = carrierOf(w)): Installed {
  if (w.__zhelikit) return { client: w.__zhelikit.client };
  const client = new BridgeClient(carrier.post);
  w.__zhelikit = { client, receive: (json: string) => client.receive(json) };
  if (carrier.framed) {
    w.addEventListener("message", (e: MessageEvent) => {
      const data = e.data;
      // Answers and events come from the container only, not from another frame.
      if (e.source === w.parent && data && data.type === FRAME_MESSAGE && typeof data.json === "string") {
        client.receive(data.json);
      }
    });
  }
  w.ZWJSBridge = createZWJSBridge(client, carrier.ready, BRIDGE_VERSION);
  w.ZwLog = createZwLog(client, carrier.ready);
  w.gdt = createGdtJsapi(client, carrier.ready);
  // ZheliKit's own namespace: what ZWJSBridge lacks (the user, the home screen, events).
  w.zhelikit = {
    call: (method: string, params: Record<string, unknown> = {}) =>
      carrier.ready.then(() => client.call(method, params)),
    on: (event: string, listener: (data: unknown) => void) => client.on(event, listener),
  };
  w.aplus_queue = w.aplus_queue ?? [];
  return { client };
}
