// The counter's promise: a scan's answer within a second. Measures, in real Chromium against
// a running server, the time from the scanner's Enter to the answer banner on screen, for
// RUNS payment codes (each a new code, collected once). Prints p50 / p95 / max.
//   node end2end/bench/scan-latency.mjs   (BASE_URL, RUNS; `make bench-scan` starts a server)
import { randomUUID } from "node:crypto";
import { chromium, request as http } from "@playwright/test";

const base = process.env.BASE_URL ?? "http://127.0.0.1:3000";
const runs = Number(process.env.RUNS ?? 30);
const api = await http.newContext({ baseURL: base });
const post = async (url, token, data) => {
  const headers = { "idempotency-key": randomUUID() };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await api.post(url, { headers, data });
  if (response.status() !== 200) throw new Error(`${url}: ${response.status()}`);
  return response.json();
};
const staff = (await post("/api/auth/staff/login", null, { username: "xiaozhang", password: "cashier-demo-1" })).token;
const uid = `bench-scan-${Date.now()}`;
const diner = (await post("/api/auth/diner/login", null, { code: `dev:${uid}` })).token;
await post("/api/wallet/recharge", staff, { uid, tier: "T300" });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const page = await browser.newPage({ baseURL: base });
await page.goto("/login");
await page.locator('#app[data-hydrated="true"]').waitFor();
await page.getByLabel("用户名").fill("xiaozhang");
await page.getByLabel("密码").fill("cashier-demo-1");
await page.getByTestId("sign-in").click();
await page.waitForURL(/\/cashier$/);
await page.locator('#app[data-hydrated="true"]').waitFor();

const took = [];
for (let i = 1; i <= runs; i++) {
  const amount = `1.${String(i).padStart(2, "0")}`;
  const { code } = await post("/api/payment/create", diner, { merchant_id: "demo", amount });
  const box = page.getByTestId("scan-input");
  await box.fill(code);
  const start = Date.now();
  await box.press("Enter");
  await page.getByTestId("scan-ok").filter({ hasText: `¥${amount}` }).waitFor();
  took.push(Date.now() - start);
}
await browser.close();
await api.dispose();

took.sort((a, b) => a - b);
const at = (q) => took[Math.min(took.length - 1, Math.ceil(q * took.length) - 1)];
console.log(`scan → answer on screen: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${took.at(-1)} ms (n=${took.length})`);
