import { expect, test } from "@playwright/test";
import { api, expectAccessible, signInCashier } from "./helpers";

test("the sign-in, the home page and the counter with its panels open have no accessibility violations", async ({
  page,
  request,
}) => {
  await page.goto("/login");
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await expectAccessible(page, "sign-in");

  const { post, cashier } = api(request);
  await post("/api/wallet/recharge", await cashier(), { uid: "wx-demo-002", tier: "T100" });
  await signInCashier(page);
  await expectAccessible(page, "counter");

  // The recharge panel with a diner found, and the refund panel with its preview.
  await page.getByTestId("recharge-uid").fill("13800000002");
  await page.getByTestId("recharge-find").click();
  await expect(page.getByTestId("recharge-diner")).toContainText("小红");
  await page.getByTestId("refund-uid").fill("wx-demo-002");
  await page.getByTestId("refund-amount").fill("10");
  await page.getByTestId("refund-preview").click();
  await expect(page.getByTestId("refund-confirm")).toBeVisible();
  await expectAccessible(page, "counter with recharge and refund panels");

  await page.goto("/");
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await expectAccessible(page, "home");
});

test("the diner's page has no accessibility violations, signed out or in", async ({ page }) => {
  await page.goto("/diner");
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await expectAccessible(page, "diner sign-in");
  await page.getByLabel("演示顾客").selectOption("wx-demo-001");
  await page.getByTestId("diner-sign-in").click();
  await expect(page.getByTestId("member-code")).toBeVisible();
  await expectAccessible(page, "diner pocket");
});
