// The simulator page: picks an account and a mini-app, opens a phone (a real core on the
// server), relays the frame's bridge calls to it and its answers and events back, shows what
// the container is asked (dialogs, toasts, titles) and the call log.

import QRCode from "qrcode";
import jsQR from "jsqr";

const FRAME_MESSAGE = "zhelikit-bridge";
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let phoneId: string | null = null;
let source: EventSource | null = null;
let socket: WebSocket | null = null;
let connecting: WebSocket | null = null;
const log: unknown[] = [];

async function json(url: string, init?: RequestInit): Promise<any> {
  const response = await fetch(url, init);
  const text = await response.text();
  const value = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(value?.error ?? `HTTP ${response.status}`);
  return value;
}

async function loadPickers(): Promise<void> {
  const [accounts, apps] = await Promise.all([json("/api/accounts"), json("/api/miniapps")]);
  const account = $<HTMLSelectElement>("account");
  const levels: Record<string, string> = { "1": "未实名", "2": "初级实名", "3": "高级实名" };
  for (const c of accounts.citizens) {
    account.add(new Option(`个人 · ${c.name}（${levels[c.authlevel] ?? c.authlevel}）`, c.userid));
  }
  for (const e of accounts.enterprises) account.add(new Option(`法人 · ${e.name}`, e.userid));
  for (const o of accounts.officials) account.add(new Option(`政务人员 · ${o.name}（${o.jobTitle}）`, String(o.accountId)));
  // 政务督查's people: the city's leaders, the supervision office, each unit's leader and contact.
  const listed = new Set(accounts.officials.map((o: any) => String(o.accountId)));
  const official = (label: string, o: any) => {
    if (listed.has(String(o.accountId))) return;
    listed.add(String(o.accountId));
    account.add(new Option(`政务督查 · ${label} ${o.name}（${o.jobTitle}）`, String(o.accountId)));
  };
  const sv = accounts.supervision ?? { leaders: [], office: [], units: [] };
  for (const o of sv.leaders) official("市领导", o);
  for (const o of sv.office) official("督查室", o);
  for (const u of sv.units) {
    official(u.name, u.leader);
    official(u.name, u.contact);
  }
  const miniapp = $<HTMLSelectElement>("miniapp");
  for (const a of apps.miniApps) miniapp.add(new Option(`${a.name}（${a.platform === "zzd" ? "浙政钉" : "浙里办"}）`, a.id));
  // `?miniApp=<id>` (what `zhelikit-miniapp serve` prints) preselects a mini-app.
  const wanted = new URLSearchParams(location.search).get("miniApp");
  if (wanted) miniapp.value = wanted;
}

function showAction(action: any): void {
  const line = document.createElement("div");
  line.textContent = `${action.kind} ${JSON.stringify(action)}`;
  $("actions").prepend(line);
  if (action.kind === "setTitle") $("title").textContent = action.title;
  if (action.kind === "toast") {
    const toast = $("toast");
    toast.textContent = action.message;
    toast.style.display = "block";
    setTimeout(() => (toast.style.display = "none"), 2000);
  }
  if (action.kind === "reload") ($<HTMLIFrameElement>("frame")).contentWindow?.location.reload();
}

// One dialog at a time: asks that come while one is shown wait their turn.
const asks: Array<{ id: number; action: any }> = [];
let asking = false;

function ask(id: number, action: any): void {
  asks.push({ id, action });
  if (!asking) showNextAsk();
}

function showNextAsk(): void {
  const next = asks.shift();
  asking = next !== undefined;
  if (next) showAsk(next.id, next.action);
}

function showAsk(id: number, action: any): void {
  const overlay = $("overlay");
  const input = $<HTMLInputElement>("dialog-input");
  const titles: Record<string, string> = { consent: "授权", scan: "扫一扫", chooseImage: "选择图片", reauthenticate: "身份验证", approveShare: "出示证照" };
  $("dialog-title").textContent = action.title || titles[action.kind] || "提示";
  $("dialog-message").textContent =
    action.kind === "consent" ? `「${action.miniAppName}」申请${action.purpose}` :
    action.kind === "scan" ? "对准另一台模拟手机上的二维码，或输入扫到的内容" :
    action.kind === "reauthenticate" ? `${action.reason}：请验证是本人操作（模拟指纹/面容）` :
    action.kind === "approveShare" ?
      `「${action.verifierName}」为「${action.purpose}」申请查看您的${action.certificateName}：${action.claims.join("、")}` +
      (action.overAsked.length ? `。其中「${action.overAsked.join("、")}」超出其登记范围，本次请求将被拒绝` : "") :
    action.kind === "chooseImage" ? "将提供一张示例图片（模拟）" : action.message ?? "";
  input.style.display = action.kind === "scan" ? "block" : "none";
  input.value = "";
  $("dialog-codes").innerHTML = "";
  $("dialog-ok").textContent = action.kind === "consent" ? "同意" : action.kind === "reauthenticate" ? "验证通过" : action.kind === "approveShare" ? "同意出示" : action.ok || action.button || "确定";
  $("dialog-cancel").style.display = action.kind === "alert" ? "none" : "";
  overlay.classList.add("open");
  const reply = async (body: any) => {
    overlay.classList.remove("open");
    try {
      await json(`/api/phones/${phoneId}/answer`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id, ...body }) });
    } finally {
      showNextAsk();
    }
  };
  if (action.kind === "scan") void showCodesInView((text) => reply({ text }));
  $("dialog-ok").onclick = () =>
    reply(action.kind === "scan" ? { text: input.value } :
          action.kind === "chooseImage" ? { images: ["data:image/png;base64,iVBORw0KGgo="] } : { ok: true });
  $("dialog-cancel").onclick = () =>
    reply(["consent", "confirm", "reauthenticate", "approveShare"].includes(action.kind) ? { ok: false } : { cancel: true });
}

/**
 * The camera of the scan dialog: the 亮证 codes other simulated phones have on screen, each
 * drawn as the QR image that phone shows and read back from its pixels (jsQR), so what is
 * scanned went through a real QR code, its version and error correction included.
 */
async function showCodesInView(scanned: (text: string) => void): Promise<void> {
  const box = $("dialog-codes");
  let codes: any[] = [];
  try {
    codes = (await json(`/api/phones/${phoneId}/codes`)).codes;
  } catch {
    return;
  }
  for (const shown of codes) {
    const button = document.createElement("button");
    button.className = "secondary";
    button.dataset.testid = "scan-code";
    button.textContent = `扫描手机 ${String(shown.phoneId).slice(0, 6)} 上的证照码`;
    button.onclick = async () => {
      const canvas = document.createElement("canvas");
      await QRCode.toCanvas(canvas, shown.code.text, { errorCorrectionLevel: "M", margin: 4, scale: 3 });
      const image = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      const read = jsQR(image.data, image.width, image.height);
      if (read) scanned(read.data);
      else button.textContent = "未能识别该二维码";
    };
    box.append(button);
  }
}

let unshown: any[] = [];

/** Call records are drawn once per frame: drawing each as it comes would slow the relay. */
/** The call log keeps the last calls only, in memory and on screen. */
const LOG_LIMIT = 1000;

function showCall(record: any): void {
  log.push(record);
  if (log.length > LOG_LIMIT) log.shift();
  if (unshown.length === 0) requestAnimationFrame(drawCalls);
  unshown.push(record);
}

function drawCalls(): void {
  const records = unshown;
  unshown = [];
  for (const record of records) drawCall(record);
}

function drawCall(record: any): void {
  const row = document.createElement("tr");
  const result = record.ok ? "成功" : `失败 ${record.code} ${record.zkCode}`;
  row.innerHTML = `<td></td><td class="params"></td><td class="${record.ok ? "" : "fail"}"></td><td>${(record.micros / 1000).toFixed(1)} ms</td>`;
  (row.children[0] as HTMLElement).textContent = record.method;
  (row.children[1] as HTMLElement).textContent = JSON.stringify(record.params);
  (row.children[2] as HTMLElement).textContent = result;
  const table = $("calls");
  table.prepend(row);
  while (table.children.length > LOG_LIMIT) table.lastElementChild?.remove();
}

function toFrame(message: object): void {
  $<HTMLIFrameElement>("frame").contentWindow?.postMessage({ type: FRAME_MESSAGE, ...message }, "*");
}

async function open(): Promise<void> {
  if (phoneId) await fetch(`/api/phones/${phoneId}`, { method: "DELETE" });
  source?.close();
  socket?.close();
  connecting?.close();
  socket = null;
  connecting = null;
  asks.length = 0;
  asking = false;
  $("overlay").classList.remove("open");
  $("calls").innerHTML = "";
  $("actions").innerHTML = "";
  const raw = $<HTMLSelectElement>("account").value;
  const account = /^\d+$/.test(raw) ? Number(raw) : raw;
  try {
    const opened = await json("/api/phones", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ miniApp: $<HTMLSelectElement>("miniapp").value, account }),
    });
    phoneId = opened.phoneId;
    document.body.dataset.phone = opened.phoneId;
    $("status").textContent = `已打开：${opened.url}`;
    const current = phoneId;
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/phones/${current}/socket`);
    connecting = ws;
    ws.onmessage = (e) => toFrame({ json: String(e.data) });
    // A socket of a phone closed meanwhile is not used.
    ws.onopen = () => (phoneId === current ? (socket = ws) : ws.close());
    source = new EventSource(`/api/phones/${phoneId}/stream`);
    source.onmessage = (e) => {
      const message = JSON.parse(e.data);
      if (message.type === "event") toFrame({ json: message.json });
      if (message.type === "call") showCall(message.record);
      if (message.type === "host") message.waits ? ask(message.id, message.action) : showAction(message.action);
      if (message.type === "notification") notify(message);
    };
    const frame = $<HTMLIFrameElement>("frame");
    frame.onload = () => toFrame({ ready: true });
    frame.src = opened.url;
    ($<HTMLInputElement>("offline")).checked = false;
    ($<HTMLInputElement>("elder")).checked = false;
    ($<HTMLInputElement>("slow")).checked = false;
  } catch (e) {
    $("status").textContent = `打开失败：${(e as Error).message}`;
  }
}

let notificationTimer: ReturnType<typeof setTimeout> | undefined;

/** A push the phone received, shown as the system shows one; the core syncs the inbox on it. */
function notify(message: { title?: string; body?: string }): void {
  $("notification-title").textContent = message.title ?? "";
  $("notification-body").textContent = message.body ?? "";
  $("notification").classList.add("open");
  clearTimeout(notificationTimer);
  notificationTimer = setTimeout(() => $("notification").classList.remove("open"), 8000);
}

$("notification").onclick = () => $("notification").classList.remove("open");

async function scenario(body: object): Promise<void> {
  if (!phoneId) return;
  await json(`/api/phones/${phoneId}/scenario`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  $("status").textContent = `已切换：${JSON.stringify(body)}`;
}

// The floor of the round-trip benchmark: a message from the frame posted straight back.
window.addEventListener("message", (e) => {
  if (e.source !== $<HTMLIFrameElement>("frame").contentWindow) return;
  if (e.data && e.data.type === "zhelikit-echo") ($<HTMLIFrameElement>("frame")).contentWindow?.postMessage(e.data, "*");
});

window.addEventListener("message", async (e) => {
  const data = e.data;
  // Calls come from the mini-app's frame only.
  if (e.source !== $<HTMLIFrameElement>("frame").contentWindow) return;
  if (!data || data.type !== FRAME_MESSAGE || typeof data.json !== "string" || !phoneId) return;
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(data.json);
    return;
  }
  // Until the socket is open: one HTTP request per call.
  const answer = await fetch(`/api/phones/${phoneId}/call`, { method: "POST", body: data.json });
  toFrame({ json: await answer.text() });
});

$("open").onclick = () => void open();
$<HTMLInputElement>("offline").onchange = (e) => void scenario({ offline: (e.target as HTMLInputElement).checked });
$<HTMLInputElement>("elder").onchange = (e) => void scenario({ elder: (e.target as HTMLInputElement).checked });
$<HTMLInputElement>("slow").onchange = (e) => void scenario({ slowMs: (e.target as HTMLInputElement).checked ? 800 : 0 });
$("expire-token").onclick = () => void scenario({ expireAccessToken: true }).then(() => ($("status").textContent = "下一个请求的访问令牌将过期"));
async function platformScenario(body: object): Promise<void> {
  await json("/api/scenario", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  $("status").textContent = "已切换（下一次调用生效）";
}

$<HTMLSelectElement>("department").onchange = (e) => {
  const value = (e.target as HTMLSelectElement).value;
  void platformScenario({ departmentDown: value === "" ? null : value });
};
$("expire").onclick = () => void platformScenario({ expireNextTicket: true });
$("export").onclick = () => {
  const blob = new Blob([JSON.stringify(log, null, 2)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "zhelikit-calls.json";
  a.click();
};
void loadPickers();
