/**
 * `ZwLog`, the analytics library 浙里办 mini-apps report page views and events to:
 * `new ZwLog({_user_id, _user_nick})`, `.onReady(fn)`, `.sendPV({...})`,
 * `.record(eventCode, 'EXP' | 'CLK' | 'OTHER', params)`. Each report goes to the core
 * (`monitorTrace` with `{type, eventCode, pageId, params}`), which masks personal numbers in the
 * parameters, keeps the event in its encrypted store and sends it to ZheliKit in batches; the
 * mini-app's owner reads page views and events per day (`zhelikit-miniapp stats`).
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

    /**
     * Reports a page view: `pageId`, `pageName`, `t0` (page start) and `t2` (page ready) in
     * milliseconds, `log_status` (`'01'` logged in, `'02'` not), `Page_duration`, and any other
     * parameters (strings, numbers or booleans).
     */
    sendPV(params: Record<string, unknown> = {}): Promise<unknown> {
      return ready.then(() =>
        client.call("monitorTrace", { type: "PV", pageId: params.pageId ?? null, params }),
      );
    }

    /** Reports an event of `type` (`EXP` shown, `CLK` tapped, `OTHER`) with its parameters. */
    record(eventCode: string, type: ZwLogEventType, params: Record<string, unknown> = {}): Promise<unknown> {
      if (!["EXP", "CLK", "OTHER"].includes(type)) {
        return Promise.reject(new TypeError(`ZwLog.record: type must be EXP, CLK or OTHER, not ${type}`));
      }
      return ready.then(() => client.call("monitorTrace", { type, eventCode, params }));
    }
  };
}
