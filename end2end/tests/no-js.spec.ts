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
});
