// The container's APIs as this mini-app uses them: ZWJSBridge (浙里办's), ZheliKit's own
// namespace for what ZWJSBridge lacks, and ZwLog. All are put on window by the container.

export interface Section {
  id: string;
  title: string;
  department: string;
  status: { state: "fresh" } | { state: "stale"; age_secs: number } | { state: "unavailable"; reason: string };
  data: Record<string, unknown> | null;
}

export interface HomeScreen {
  kind: string;
  generated_at_ms: number;
  offline: boolean;
  sections: Section[];
}

export interface User {
  display_name: string;
  kind: string;
  real_name_level: number;
  id_number_masked?: string | null;
  phone_masked?: string | null;
}

const w = window as any;

export const ZWJSBridge = w.ZWJSBridge;

/** A ZheliKit method (`zhelikit.getCurrentUser` …). */
export function zk<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  return w.zhelikit.call(method, params);
}

/** Listens for a container event (`networkChanged`, `uiStyleChanged`, `sessionExpired`). */
export function onEvent(event: string, listener: (data: any) => void): void {
  w.zhelikit.on(event, listener);
}

/** Reports the page view to ZwLog, as the review requires. */
export function reportPageView(pageId: string, pageName: string): void {
  const log = new w.ZwLog({});
  log.onReady(() => log.sendPV({ miniAppId: "zk-demo-services", miniAppName: "掌上办事", pageId, pageName, log_status: "02" }));
}
