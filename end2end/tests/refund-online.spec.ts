import path from "node:path";
import { expect, test } from "@playwright/test";
import { api, expectAccessible, signInCashier } from "./helpers";

// Stored value bought online goes back to the diner's WeChat Pay: the counter's refund
// preview offers the diner's online recharges beside cash, and the refund is asked of the
// stand-in WeChat Pay (DEV), which confirms it a moment later.

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);

test("a cashier refunds an online recharge back to WeChat Pay from the refund preview", async ({
  page,
  request,
}, testInfo) => {
  const project = testInfo.project.name;
  const uid = `e2e-online-${project}-${Date.now()}`;
  const { post, get, cashier, diner } = api(request);
  const dinerToken = await diner(uid);
  // The diner recharges 充100送20 in the mini program and pays in "WeChat" (the sandbox).
  const opened = await post("/api/wallet/recharge/online", dinerToken, { merchant_id: "demo", tier: "T100" });
  const prepayId = String(opened.payment.package).replace("prepay_id=", "");
  expect((await request.post(`/dev/wechatpay/demo/sandbox/pay/${prepayId}`)).status()).toBe(204);
  const staff = await cashier();
  await expect
    .poll(async () => (await get(`/api/wallets/of?uid=${uid}`, staff)).principal, { timeout: 15_000 })
    .toBe("100.00");

  await signInCashier(page);
  await page.getByTestId("refund-uid").fill(uid);
  await page.getByTestId("refund-amount").fill("40");
  await page.getByTestId("refund-preview").click();
  // 40 of 100/20: c 8, all from the bonus; 40 goes back.
  await expect(page.getByTestId("clawback-payout")).toHaveText("¥40.00");
  const online = page.getByTestId("refund-online");
  await expect(online).toContainText("可退 ¥100.00");
  await expect(page.getByTestId("refund-online-confirm")).toContainText("退回微信支付 ¥40.00");
  await expectAccessible(page, "the refund preview with the online choice");
  await page.screenshot({ path: screenshot(`refund-online-choice-${project}`), fullPage: true });

  await page.getByTestId("refund-online-confirm").click();
  await expect(page.getByTestId("scan-ok").filter({ hasText: "微信支付" })).toContainText("¥40.00");
  // The counter's feed says where the money went.
  await expect(page.getByTestId("live-feed").getByText("退回微信支付 ¥40.00").first()).toBeVisible();
  const wallet = await get(`/api/wallets/of?uid=${uid}`, staff);
  expect([wallet.principal, wallet.bonus]).toEqual(["60.00", "12.00"]);
  // What is left of the order to refund.
  await expect
    .poll(async () => (await get(`/api/wallet/refund/online/orders?uid=${uid}`, staff))[0]?.refundable)
    .toBe("60.00");
  await expectAccessible(page, "the counter after a refund to WeChat Pay");
  await page.screenshot({ path: screenshot(`refund-online-done-${project}`), fullPage: true });
});
