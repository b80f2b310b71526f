import path from "node:path";
import { expect, test } from "@playwright/test";
import { api } from "./helpers";

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);

test("the console is Chinese first and switches to English and back, kept across pages", async ({
  page,
  request,
}, testInfo) => {
  // 小红 is a customer of the shop (a recharge at another till), so the counter finds her by id.
  const { post, cashier } = api(request);
  await post("/api/wallet/recharge", await cashier(), { uid: "wx-demo-002", tier: "T100" });

  await page.goto("/login");
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh");
  await expect(page.getByRole("heading", { name: "员工登录" })).toBeVisible();

  // The switch comes back to the same page, in English.
  await page.getByTestId("language-switch").click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { name: "Staff sign-in" })).toBeVisible();
  await expect(page.getByTestId("language-switch")).toHaveText("中文");

  // The choice holds on the next pages: the counter, its placeholders and its answers.
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("Username").fill("xiaozhang");
  await page.getByLabel("Password").fill("cashier-demo-1");
  await page.getByTestId("sign-in").click();
  await expect(page).toHaveURL(/\/cashier$/);
  await expect(page.getByRole("heading", { name: "Counter" })).toBeVisible();
  await expect(page.getByTestId("scan-input")).toHaveAttribute("placeholder", /Scan or type/);
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  const box = page.getByTestId("scan-input");
  await box.pressSequentially("hello");
  await box.press("Enter");
  await expect(page.getByTestId("scan-refused")).toContainText("Not a card or payment code");
  await page.screenshot({ path: screenshot(`language-en-${testInfo.project.name}`), fullPage: true });

  // And back to Chinese, on the same page with the same address.
  await page.goto("/cashier?diner=wx-demo-002");
  await expect(page.getByTestId("recharge-diner")).toContainText("小红");
  await page.getByTestId("language-switch").click();
  await expect(page).toHaveURL(/\/cashier\?diner=wx-demo-002$/);
  await expect(page.getByRole("heading", { name: "收银台" })).toBeVisible();
  await expect(page.getByTestId("recharge-diner")).toContainText("当前余额");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the language switch works", async ({ page }) => {
    await page.goto("/login");
    await page.getByTestId("language-switch").click();
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByLabel("Username")).toBeVisible();
    await expect(page.getByRole("heading", { name: "Staff sign-in" })).toBeVisible();
  });
});
