/**
 * `@zhelikit/bridge`: the page's side of ZheliKit's mini-app bridge.
 *
 * - {@link BridgeClient}: typed calls to the core over any string carrier, events back.
 * - {@link createZWJSBridge}: `window.ZWJSBridge` with the exact shapes 浙里办 mini-apps use.
 * - {@link createGdtJsapi}: the `gdt-jsapi` subset for 浙政钉.
 * - {@link createZwLog}: the `ZwLog` analytics class.
 * - {@link install}: all of them on `window`, carried by the container's channel.
 */
export { BridgeClient, type ClientOptions, type Post } from "./client.js";
export { createGdtJsapi, READY_FALLBACK_MS, type GdtJsapi } from "./gdt.js";
export { install, type Carrier, type Installed } from "./install.js";
export {
  BRIDGE_VERSION,
  BridgeCallError,
  METHODS,
  type BridgeEvent,
  type BridgeRequest,
  type BridgeResponse,
  type MethodSpec,
  type WireError,
} from "./protocol.js";
export { createZWJSBridge, type ZWJSBridge } from "./zwjsbridge.js";
export { createZwLog, type ZwLogEventType } from "./zwlog.js";
