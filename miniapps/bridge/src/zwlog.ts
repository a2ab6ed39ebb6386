/**
 * `ZwLog`, the analytics library 浙里办 mini-apps report page views and events to:
 * `new ZwLog({_user_id, _user_nick})`, `.onReady(fn)`, `.sendPV({...})`,
 * `.record(eventCode, 'EXP' | 'CLK' | 'OTHER', params)`. Each report goes to the core
 * (`monitorTrace`), which keeps the event name and never the parameters' personal data.
 */
import type { BridgeClient } from "./client.js";

/** The kinds of event `record` takes: exposure, click, other. */
export type ZwLogEventType = "EXP" | "CLK" | "OTHER";

/** A ZwLog class bound to `client`. */
export function createZwLog(client: BridgeClient, ready: Promise<void>) {
  return class ZwLog {
    readonly user: Record<string, unknown>;

    constructor(user: Record<string, unknown> = {}) {
      this.user = user;
    }

    /** Runs `fn` once the core is ready. */
    onReady(fn: () => void): void {
      ready.then(() => fn());
    }

    /** Reports a page view (`miniAppId`, `pageId`, `pageName`, `t0`, `t2`, `log_status` …). */
    sendPV(params: Record<string, unknown> = {}): Promise<unknown> {
      return ready.then(() =>
        client.call("monitorTrace", { event: "pv", pageId: params.pageId ?? null }),
      );
    }

    /** Reports an event of `type`. */
    record(eventCode: string, type: ZwLogEventType, _params: Record<string, unknown> = {}): Promise<unknown> {
      if (!["EXP", "CLK", "OTHER"].includes(type)) {
        return Promise.reject(new TypeError(`ZwLog.record: type must be EXP, CLK or OTHER, not ${type}`));
      }
      return ready.then(() => client.call("monitorTrace", { event: `${type}:${eventCode}` }));
    }
  };
}
