// The simulator's speed, in Chromium: (1) a bridge call without network (getUiStyle) from the
// mini-app's frame, page → simulator server → sdk-core → back, beside the same run's floor, a
// postMessage echo frame → simulator page → frame; (2) the sample's first paint after the
// person clicks 打开 (the frame's first-contentful-paint, measured from the click).
// Run by scripts/bench-miniapps against a live stack.
import { chromium } from "playwright-core";

const SIMULATOR = process.env.ZK_TEST_SIMULATOR_URL;
const N = Number(process.env.ROUNDS ?? 500);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage();
await page.goto(SIMULATOR);
await page.getByTestId("account").locator("option").first().waitFor({ state: "attached" });
await page.getByTestId("account").selectOption("zlb-u-000001");
await page.getByTestId("miniapp").selectOption("zk-demo-services");

const clicked = await page.evaluate(() => performance.timeOrigin + performance.now());
await page.getByTestId("open").click();
await page.getByTestId("dialog").waitFor({ state: "visible" });
await page.getByTestId("dialog-ok").click();
const frame = page.frame({ url: /\/apps\/services\// });
await page.frameLocator('[data-testid="frame"]').getByTestId("greeting").waitFor();
const paint = await frame.evaluate(() => {
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return { origin: performance.timeOrigin, fcp: fcp ? fcp.startTime : null, ready: performance.now() };
});

const measured = await frame.evaluate(async (n) => {
  const percentile = (xs, p) => xs.sort((a, b) => a - b)[Math.floor(xs.length * p)];
  const bridge = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await window.ZWJSBridge.getUiStyle({});
    bridge.push(performance.now() - t);
  }
  const echo = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await new Promise((resolve) => {
      const on = (e) => { if (e.data && e.data.type === "zhelikit-echo" && e.data.i === i) { window.removeEventListener("message", on); resolve(); } };
      window.addEventListener("message", on);
      window.parent.postMessage({ type: "zhelikit-echo", i }, "*");
    });
    echo.push(performance.now() - t);
  }
  return { bridgeP50: percentile(bridge, 0.5), bridgeP99: percentile(bridge, 0.99), echoP50: percentile(echo, 0.5), echoP99: percentile(echo, 0.99) };
}, N);

const fcpAfterClick = paint.fcp === null ? null : paint.origin + paint.fcp - clicked;
console.log(`getUiStyle round trip (frame → page → server → core → back), ${N} calls: p50 ${measured.bridgeP50.toFixed(2)} ms, p99 ${measured.bridgeP99.toFixed(2)} ms`);
console.log(`floor: postMessage echo (frame → page → frame): p50 ${measured.echoP50.toFixed(3)} ms, p99 ${measured.echoP99.toFixed(3)} ms`);
console.log(`掌上办事 first contentful paint after 打开 was clicked: ${fcpAfterClick === null ? "n/a" : fcpAfterClick.toFixed(0) + " ms"}`);
await browser.close();
