// The page's side of the bridge, against a scripted core: what the shim sends, how answers and
// events come back, and the shapes 浙里办 mini-apps rely on.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BridgeCallError, BridgeClient, METHODS, install } from "../src/index.js";

/** A core that answers each request with `answer(request)`, asynchronously and out of order. */
function scriptedCore(answer: (request: any) => any) {
  const sent: any[] = [];
  let client: BridgeClient;
  const post = (json: string) => {
    const request = JSON.parse(json);
    sent.push(request);
    const reply = answer(request);
    setTimeout(() => client.receive(JSON.stringify({ id: request.id, ...reply })), request.method === "slow" ? 20 : 1);
  };
  client = new BridgeClient(post, { timeoutMs: 200 });
  return { client, sent };
}

test("concurrent calls get their own answers, whatever order they come back in", async () => {
  const { client, sent } = scriptedCore((r) => ({ ok: true, result: { echo: r.method } }));
  const [slow, fast] = await Promise.all([client.call("slow"), client.call("fast")]);
  assert.deepEqual(slow, { echo: "slow" });
  assert.deepEqual(fast, { echo: "fast" });
  assert.notEqual(sent[0].id, sent[1].id);
  assert.equal(client.inFlight, 0);
});

test("a refusal rejects with the platform's numeric code and ZheliKit's code", async () => {
  const { client } = scriptedCore(() => ({
    ok: false,
    error: { code: 1002, zkCode: "scope_not_declared", message: "未声明权限 profile" },
  }));
  await assert.rejects(client.call("zhelikit.getCurrentUser"), (e: unknown) => {
    assert.ok(e instanceof BridgeCallError);
    assert.equal(e.code, 1002);
    assert.equal(e.zkCode, "scope_not_declared");
    assert.equal(e.message, "未声明权限 profile");
    return true;
  });
});

test("an answer that never comes is a timeout, not a hang", async () => {
  const client = new BridgeClient(() => {}, { timeoutMs: 20 });
  await assert.rejects(client.call("getUUID"), (e: any) => e.zkCode === "timeout");
  assert.equal(client.inFlight, 0);
});

test("events reach their listeners until they stop listening", () => {
  const client = new BridgeClient(() => {});
  const seen: unknown[] = [];
  const stop = client.on("uiStyleChanged", (d) => seen.push(d));
  client.receive(JSON.stringify({ event: "uiStyleChanged", data: { uiStyle: "elder" } }));
  stop();
  client.receive(JSON.stringify({ event: "uiStyleChanged", data: { uiStyle: "normal" } }));
  client.receive("not json: ignored");
  assert.deepEqual(seen, [{ uiStyle: "elder" }]);
});

function fakeWindow(answer: (request: any) => any) {
  const w: any = { listeners: [] as any[], sent: [] as any[] };
  w.ZheliKitNative = {
    postMessage(json: string) {
      const request = JSON.parse(json);
      w.sent.push(request);
      setTimeout(() => w.__zhelikit.receive(JSON.stringify({ id: request.id, ...answer(request) })), 1);
    },
  };
  w.addEventListener = () => {};
  return w;
}

test("window.ZWJSBridge has exactly the core's ZWJSBridge methods and the shapes apps use", async () => {
  const w = fakeWindow((r) =>
    r.method === "ssoTicket"
      ? { ok: true, result: { result: true, ticketId: "TK-1" } }
      : { ok: true, result: { uiStyle: "elder" } },
  );
  install(w);
  const zw = w.ZWJSBridge;
  for (const m of METHODS.filter((m) => m.family === "zwjs")) {
    assert.equal(typeof zw[m.name], "function", m.name);
  }
  assert.equal(zw.pay, undefined, "a guard on an unserved method tells the truth");
  assert.equal(zw.getLocation, undefined);
  let ready = false;
  zw.onReady(() => (ready = true));
  const ticket = await zw.ssoTicket({});
  assert.deepEqual(ticket, { result: true, ticketId: "TK-1" });
  assert.equal(ready, true);
  assert.deepEqual(await zw.getUiStyle(), { uiStyle: "elder" });
  assert.deepEqual({ ...w.sent[0], id: undefined }, { id: undefined, method: "ssoTicket", params: {} });
  assert.match(w.sent[0].id, /^[a-z0-9]+-1$/, "ids are unique to the page load");
  assert.ok(Array.isArray(w.aplus_queue), "aplus tracking pushes fail harmlessly");
  assert.equal(typeof new w.ZwLog({ _user_id: "u" }).sendPV, "function");
  assert.equal(typeof w.gdt.getAuthCode, "function");
});

test("success and fail callbacks are honoured beside the promise", async () => {
  const w = fakeWindow(() => ({ ok: false, error: { code: -1, zkCode: "cancelled", message: "用户已取消" } }));
  install(w);
  const failed = await new Promise<any>((resolve) => {
    w.ZWJSBridge.scan({ success: () => resolve("success?"), fail: resolve }).catch(() => {});
  });
  assert.equal(failed.code, -1);
  assert.deepEqual(w.sent[0].params, {}, "callbacks are not sent to the core");
});

test("ZwLog hands page views and events with their parameters to the core, which masks them", async () => {
  const w = fakeWindow(() => ({ ok: true, result: {} }));
  install(w);
  const log = new w.ZwLog({ _user_id: "u1", _user_nick: "孙" });
  await log.sendPV({ miniAppId: "zk-demo-services", pageId: "home", idNumber: "330302199001011234" });
  await log.record("submit", "CLK", { phone: "13800000000" });
  await assert.rejects(log.record("x", "BAD"), TypeError);
  assert.deepEqual(
    w.sent.map((r: any) => r.params),
    [
      {
        type: "PV",
        pageId: "home",
        params: { miniAppId: "zk-demo-services", pageId: "home", idNumber: "330302199001011234" },
      },
      { type: "CLK", eventCode: "submit", params: { phone: "13800000000" } },
    ],
  );
});
