import path from "node:path";
import { type APIRequestContext, type Page, expect, test } from "@playwright/test";
import { api, signInCashier } from "./helpers";

// A stored-value refund is confirmed for the payout its preview showed. When the diner pays
// at another till in between, the confirmation is refused with the new preview, which the
// cashier checks and confirms again — never a different payout silently.

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);

/** A diner of this test alone with one 充100送20: principal 100, bonus 20. */
async function dinerWithRecharge(request: APIRequestContext, uid: string) {
  const { post, cashier, diner } = api(request);
  const token = await diner(uid);
  await post("/api/wallet/recharge", await cashier(), { uid, tier: "T100" });
  return token;
}

/** The diner pays 24 (20 principal + 4 bonus) at another till: the manager's. */
async function payAtAnotherTill(request: APIRequestContext, dinerToken: string) {
  const { post } = api(request);
  const order = await post("/api/payment/create", dinerToken, { merchant_id: "demo", amount: "24.00" });
  const manager = (await post("/api/auth/staff/login", null, { username: "xiaoli", password: "manager-demo-1" }))
    .token as string;
  await post("/api/payment/verify", manager, { code: order.code });
}

async function previewEighty(page: Page, uid: string) {
  await page.getByTestId("refund-uid").fill(uid);
  await page.getByTestId("refund-amount").fill("80");
  await page.getByTestId("refund-preview").click();
  // 80 of 100/20: c 16, all from the bonus.
  await expect(page.getByTestId("clawback-payout")).toHaveText("¥80.00");
  await expect(page.getByTestId("refund-confirm")).toContainText("¥80.00");
}

/** After the payment: 80 of 80/16 with G 20 takes back 20, 16 from the bonus, 4 already spent. */
async function expectTheNewPreview(page: Page) {
  await expect(page.getByTestId("scan-refused").filter({ hasText: "顾客余额刚有变动" })).toContainText(
    "REFUND_PREVIEW_CHANGED",
  );
  await expect(page.getByTestId("clawback-payout")).toHaveText("¥76.00");
  await expect(page.getByTestId("clawback-shortfall")).toHaveText("¥4.00");
  await expect(page.getByTestId("refund-confirm")).toContainText("¥76.00");
}

test("a refund whose wallet changed since its preview shows the new one to confirm", async ({
  page,
  request,
}, testInfo) => {
  const uid = `e2e-preview-${testInfo.project.name}-${Date.now()}`;
  const dinerToken = await dinerWithRecharge(request, uid);
  await signInCashier(page);
  await previewEighty(page, uid);

  await payAtAnotherTill(request, dinerToken);
  await page.getByTestId("refund-confirm").click();
  await expectTheNewPreview(page);
  // Nothing was refunded: the wallet is the payment's.
  const { get, cashier } = api(request);
  expect((await get(`/api/wallets/of?uid=${uid}`, await cashier())).principal).toBe("80.00");
  await page.screenshot({ path: screenshot(`refund-preview-changed-${testInfo.project.name}`), fullPage: true });

  await page.getByTestId("refund-confirm").click();
  await expect(page.getByTestId("scan-ok").filter({ hasText: "已退款：付现金 ¥76.00" })).toBeVisible();
  expect((await get(`/api/wallets/of?uid=${uid}`, await cashier())).principal).toBe("0.00");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the refused confirmation comes back with the new preview", async ({ page, request }, testInfo) => {
    const uid = `e2e-preview-nojs-${testInfo.project.name}-${Date.now()}`;
    const dinerToken = await dinerWithRecharge(request, uid);
    await page.goto("/login");
    await page.getByLabel("用户名").fill("xiaozhang");
    await page.getByLabel("密码").fill("cashier-demo-1");
    await page.getByTestId("sign-in").click();
    await expect(page).toHaveURL(/\/cashier$/);
    await previewEighty(page, uid);

    await payAtAnotherTill(request, dinerToken);
    await page.getByTestId("refund-confirm").click();
    await expect(page).toHaveURL(/refunded=.*refund_uid=/);
    await expectTheNewPreview(page);

    await page.getByTestId("refund-confirm").click();
    await expect(page).toHaveURL(/refunded=/);
    await expect(page.getByTestId("scan-ok").filter({ hasText: "已退款：付现金 ¥76.00" })).toBeVisible();
  });
});
