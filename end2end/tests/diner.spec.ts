import path from "node:path";
import { type Page, expect, test } from "@playwright/test";
import { api, expectAccessible, openDinerPage, signInCashier } from "./helpers";

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);

async function scan(page: Page, code: string) {
  const box = page.getByTestId("scan-input");
  await box.pressSequentially(code);
  await box.press("Enter");
}

test("a diner's page sees its card turn USED and its balance change live when the cashier scans", async ({
  browser,
  request,
}, testInfo) => {
  const shot = (page: Page, state: string) =>
    page.screenshot({ path: screenshot(`diner-${state}-${testInfo.project.name}`), fullPage: true });

  // The diner, in a browser of their own.
  const { context: dinerContext, diner } = await openDinerPage(browser, "wx-demo-001");
  await expect(diner.getByTestId("diner-card").first()).toBeVisible();
  // The two projects run at once on one server: each redeems a different card.
  const index = testInfo.project.name === "desktop" ? 0 : 1;
  const card = diner.locator('[data-testid="diner-card"][data-status="ACTIVE"]').nth(index);
  const uuid = (await card.getAttribute("data-uuid")) ?? "";
  expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
  await expect(card.locator("svg")).toBeVisible();
  await shot(diner, "cards");

  // The cashier, in another browser.
  const cashierContext = await browser.newContext();
  const cashier = await cashierContext.newPage();
  await signInCashier(cashier);
  await scan(cashier, uuid);
  await expect(cashier.getByTestId("scan-ok")).toContainText("核销成功");

  // The diner's page heard it: no reload.
  const redeemed = diner.locator(`[data-uuid="${uuid}"]`);
  await expect(redeemed).toHaveAttribute("data-status", "USED");
  await expect(redeemed.getByTestId("card-status")).toContainText("已使用");
  await shot(diner, "card-used");

  // The same card again at the counter: refused, clearly.
  await scan(cashier, uuid);
  await expect(cashier.getByTestId("scan-refused")).toContainText("此券已使用");

  // A payment code, shown as a QR code, collected at the counter; the balance follows live.
  const { post, cashier: staffToken } = api(request);
  await post("/api/wallet/recharge", await staffToken(), { uid: "wx-demo-001", tier: "T100" });
  const balance = diner.getByTestId("diner-balance");
  await expect(balance).not.toContainText("¥0.00（");
  const before = await balance.textContent();
  await diner.getByTestId("pay-amount").fill("10");
  await diner.getByTestId("pay-create").click();
  const payment = diner.getByTestId("payment-code");
  await expect(payment.locator("svg")).toBeVisible();
  const code = (await payment.getAttribute("data-code")) ?? "";
  expect(code).toMatch(/^\d{18}$/);
  await shot(diner, "payment-code");
  await scan(cashier, code);
  await expect(cashier.getByTestId("scan-ok")).toContainText("收款成功");
  await expect(balance).not.toHaveText(before ?? "");
  await shot(diner, "paid");

  await dinerContext.close();
  await cashierContext.close();
});

test("a diner recharges online: the order, the payment in WeChat (the stand-in), the balance credited live", async ({
  browser,
}, testInfo) => {
  const project = testInfo.project.name;
  // The two projects run at once on one server: each its own diner.
  const uid = project === "desktop" ? "wx-demo-001" : "wx-demo-002";
  const { context, diner } = await openDinerPage(browser, uid);
  const balance = diner.getByTestId("diner-balance");
  await expect(balance).toBeVisible();
  const before = (await balance.textContent()) ?? "";

  await diner.getByTestId("online-tier").selectOption("T100");
  await diner.getByTestId("online-open").click();
  const order = diner.getByTestId("online-order");
  await expect(order).toContainText("付 ¥100");
  await expect(order).toHaveAttribute("data-order", /^MQ[0-9A-F]{30}$/);
  await expectAccessible(diner, "the diner page with an online order");
  await diner.screenshot({ path: screenshot(`diner-online-order-${project}`), fullPage: true });

  // Paid in "WeChat": the stand-in's notification credits the wallet; the page hears it.
  await diner.getByTestId("online-pay").click();
  await expect(diner.getByTestId("online-paid")).toBeVisible();
  await expect(balance).not.toHaveText(before, { timeout: 15_000 });
  await diner.screenshot({ path: screenshot(`diner-online-paid-${project}`), fullPage: true });
  await context.close();
});
