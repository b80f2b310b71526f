import path from "node:path";
import { expect, test } from "@playwright/test";
import { api } from "./helpers";

// The counter's core flow with JavaScript off: plain form posts and server-rendered pages.
test.use({ javaScriptEnabled: false });

test("without JavaScript a cashier signs in, collects a payment code and sees a refusal", async ({
  page,
  request,
}, testInfo) => {
  // A payment code of a diner of this test alone, with the balance to pay it.
  const uid = `e2e-nojs-${testInfo.project.name}-${Date.now()}`;
  const { post, cashier, diner } = api(request);
  await diner(uid);
  await post("/api/wallet/recharge", await cashier(), { uid, tier: "T100" });
  const dinerToken = await diner(uid);
  const order = await post("/api/payment/create", dinerToken, { merchant_id: "demo", amount: "12.50" });

  await page.goto("/login");
  await page.getByLabel("用户名").fill("xiaozhang");
  await page.getByLabel("密码").fill("cashier-demo-1");
  await page.getByTestId("sign-in").click();
  await expect(page).toHaveURL(/\/cashier$/);

  await page.getByTestId("scan-input").fill(order.code);
  await page.getByTestId("scan-input").press("Enter");
  await expect(page).toHaveURL(/answered=/);
  await expect(page.getByTestId("scan-ok")).toContainText("收款成功 ¥12.50");
  await page.screenshot({
    path: path.join(__dirname, "..", "screenshots", `no-js-collected-${testInfo.project.name}.png`),
    fullPage: true,
  });

  await page.getByTestId("scan-input").fill(order.code);
  await page.getByTestId("scan-input").press("Enter");
  await expect(page.getByTestId("scan-refused")).toContainText("已处理");

  // The collected payment is refunded from its line in the feed. (The collection's event is
  // numbered into the log just after its commit; on a busy machine a page read at once may
  // not hold it yet: without JavaScript, the cashier reads the counter again.)
  const refund = page.locator(`[data-payment="${order.payment_id}"]`).getByTestId("refund-payment");
  await expect(async () => {
    if (!(await refund.isVisible())) await page.goto("/cashier");
    await expect(refund).toBeVisible({ timeout: 500 });
  }).toPass();
  await refund.click();
  await expect(page).toHaveURL(/payment_refunded=/);
  await expect(page.getByTestId("scan-ok").filter({ hasText: "已退款 ¥12.50" })).toBeVisible();
  // Later, the feed read afresh still knows it was refunded: it is not offered again. (The
  // refund's event is numbered into the log just after its commit: read until it is there.)
  const collectedLine = page.locator(`[data-payment="${order.payment_id}"]`);
  await expect(async () => {
    await page.goto("/cashier");
    await expect(collectedLine.getByTestId("payment-refunded")).toBeVisible({ timeout: 500 });
  }).toPass();
  await expect(page.getByTestId("live-feed")).toContainText("退款 ¥12.50");

  // Recharge: find the diner, pick a tier, confirm; each step comes back to the counter.
  await page.getByTestId("recharge-uid").fill(uid);
  await page.getByTestId("recharge-find").click();
  await expect(page).toHaveURL(/diner=/);
  await expect(page.getByTestId("recharge-diner")).toContainText(uid);
  await page.getByText("充300送80").click();
  await page.getByTestId("recharge-confirm").click();
  await expect(page).toHaveURL(/recharged=/);
  const recharged = page.getByTestId("scan-ok").filter({ hasText: "充值成功" });
  await expect(recharged).toContainText("充300送80");
  await page.screenshot({
    path: path.join(__dirname, "..", "screenshots", `no-js-recharged-${testInfo.project.name}.png`),
    fullPage: true,
  });
  // A reload shows the same answer and charges nothing again.
  const { get } = api(request);
  const walletOf = `/api/wallets/of?uid=${uid}`;
  const afterRecharge = await get(walletOf, await cashier());
  await page.reload();
  await expect(recharged).toContainText("充300送80");
  expect(await get(walletOf, await cashier())).toEqual(afterRecharge);

  // Stored-value refund: the preview, then the confirmed numbers.
  await page.getByTestId("refund-uid").fill(uid);
  await page.getByTestId("refund-amount").fill("100");
  await page.getByTestId("refund-preview").click();
  await expect(page).toHaveURL(/refund_uid=/);
  await expect(page.getByTestId("clawback-payout")).toHaveText("¥100.00");
  await page.getByTestId("refund-confirm").click();
  await expect(page).toHaveURL(/refunded=/);
  await expect(page.getByTestId("scan-ok").filter({ hasText: "已退款：付现金 ¥100.00" })).toBeVisible();
  await page.screenshot({
    path: path.join(__dirname, "..", "screenshots", `no-js-refunded-${testInfo.project.name}.png`),
    fullPage: true,
  });
});
