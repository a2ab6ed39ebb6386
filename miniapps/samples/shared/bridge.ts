// The container's APIs as the sample mini-apps use them: ZWJSBridge (浙里办's), gdt-jsapi
// (浙政钉's), ZheliKit's own namespace for what those lack, and ZwLog. All are put on window
// by the container before the page's scripts run.

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

/** gdt-jsapi, on 浙政钉. */
export const gdt = w.gdt;

/** A ZheliKit method (`zhelikit.getCurrentUser` …). */
export function zk<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  return w.zhelikit.call(method, params);
}

/** Listens for a container event (`networkChanged`, `uiStyleChanged`, `sessionExpired`). */
export function onEvent(event: string, listener: (data: any) => void): void {
  w.zhelikit.on(event, listener);
}

/**
 * Reports the page view to ZwLog, as the review requires: `t0` when the page began loading,
 * `t2` now (it is shown), and whether the person is logged in.
 */
export function reportPageView(miniAppId: string, miniAppName: string, pageId: string, pageName: string, loggedIn: boolean): void {
  const log = new w.ZwLog({});
  const t0 = Math.round(performance.timeOrigin);
  const t2 = Date.now();
  log.onReady(() => log.sendPV({ miniAppId, miniAppName, pageId, pageName, t0, t2, log_status: loggedIn ? "01" : "02" }));
}

/** Follows the container's elder mode (长辈版) into `set`. */
export async function followUiStyle(set: (elder: boolean) => void): Promise<void> {
  try {
    set((await ZWJSBridge.getUiStyle({})).uiStyle === "elder");
  } catch {
    // Older containers have no getUiStyle: the normal style then.
  }
  onEvent("uiStyleChanged", (d) => set(d.uiStyle === "elder"));
}

/** 浙政钉 免登: a one-time code from gdt-jsapi, redeemed for a ZheliKit session of this mini-app. */
export async function loginWithGdtAuthCode(): Promise<void> {
  await gdt.ready();
  const { code } = await gdt.getAuthCode({ corpId: "zk-demo" });
  await zk("zhelikit.loginWithAuthCode", { authCode: code });
}

/** The mini-program login: a ticketId from the container (a reload gives a fresh one when it
 * came empty), redeemed for a ZheliKit session of this mini-app. */
export async function loginWithTicketId(): Promise<void> {
  const ticket = await ZWJSBridge.ssoTicket({});
  if (ticket.result !== true) throw new Error("未取得登录票据");
  let ticketId: string = ticket.ticketId;
  if (!ticketId) ticketId = (await ZWJSBridge.openLink({ type: "reload" })).ticketId;
  await zk("zhelikit.loginWithTicketId", { ticketId });
}
