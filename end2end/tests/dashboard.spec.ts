import path from "node:path";
import { expect, test } from "@playwright/test";
import { api, expectAccessible, signIn, signInCashier } from "./helpers";

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);
const DINER = "wx-demo-002";

/** ¥12.34 → 12.34 */
const amount = (text: string | null) => Number((text ?? "").replace(/[^\d.]/g, ""));

test("the owner's dashboard shows the shop's numbers as charts, and a collection at the counter moves today's takings live", async ({
  page,
  browser,
  request,
}, testInfo) => {
  test.slow();
  const project = testInfo.project.name;
  const shot = (state: string) =>
    page.screenshot({ path: screenshot(`dashboard-${state}-${project}`), fullPage: true });
  const { post, cashier, diner } = api(request);
  // Something in the books today, so the charts have data.
  await post("/api/wallet/recharge", await cashier(), { uid: DINER, tier: "T300" });

  await signIn(page, "laowang", "owner-demo-1");
  await page.getByTestId("nav-dashboard").click();
  await expect(page).toHaveURL(/\/console$/);
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByRole("heading", { name: "经营看板" })).toBeVisible();
  const sold = page.getByTestId("fig-sold-value");
  await expect.poll(async () => amount(await sold.textContent()), { timeout: 10_000 }).toBeGreaterThanOrEqual(300);
  // The charts are drawn (SVG, by the chart library the app serves itself).
  for (const chart of ["chart-money", "chart-cards"]) {
    await expect(page.getByTestId(chart).locator("svg").first()).toBeVisible({ timeout: 10_000 });
  }
  // The month adds up at least today's.
  await page.getByTestId("period-30").click();
  await expect(page.getByTestId("period-30")).toHaveAttribute("aria-pressed", "true");
  expect(amount(await sold.textContent())).toBeGreaterThanOrEqual(300);
  await page.getByTestId("period-1").click();
  await expectAccessible(page, "the dashboard");
  await shot("today");

  // A cashier at the counter, in another browser, collects a payment.
  const collected = page.getByTestId("fig-collected-value");
  const before = amount(await collected.textContent());
  const counter = await browser.newContext();
  const till = await counter.newPage();
  await signInCashier(till);
  const order = await post("/api/payment/create", await diner(DINER), { merchant_id: "demo", amount: "42.50" });
  const box = till.getByTestId("scan-input");
  await box.pressSequentially(order.code);
  await box.press("Enter");
  await expect(till.getByTestId("scan-ok")).toContainText("收款成功");
  // The dashboard moves by itself, without a reload.
  await expect
    .poll(async () => amount(await collected.textContent()), { timeout: 5_000 })
    .toBeGreaterThanOrEqual(before + 42.5 - 0.001);
  await counter.close();
  await shot("after-collection");

  // In English, the same numbers.
  await page.getByTestId("language-switch").click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await expect(page.getByTestId("chart-money").locator("svg").first()).toBeVisible({ timeout: 10_000 });
  await expectAccessible(page, "the dashboard in English");
  await shot("english");
  await page.getByTestId("language-switch").click();
  await expect(page.getByRole("heading", { name: "经营看板" })).toBeVisible();

  // A cashier has no dashboard: the menu does not offer it, and the page sends them away.
  const other = await browser.newContext();
  const cashierPage = await other.newPage();
  await signInCashier(cashierPage);
  await expect(cashierPage.getByTestId("nav-dashboard")).toHaveCount(0);
  await cashierPage.goto("/console");
  await expect(cashierPage).toHaveURL(/\/(login|cashier)$/);
  await other.close();
});
