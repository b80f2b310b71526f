import path from "node:path";
import { expect, test } from "@playwright/test";
import { signInCashier } from "./helpers";

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);

test("the console home hydrates and re-checks the database through a server function", async ({
  page,
}, testInfo) => {
  const consoleErrors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text());
  });

  await page.goto("/");
  // Server-rendered first: the status is on the page before any script ran.
  await expect(page.getByRole("heading", { name: /欢迎使用餐餐有戏/ })).toBeVisible();
  await expect(page.getByTestId("status-badge")).toHaveText("正常");
  // Anyone sees the probes; which restaurants are here is for their staff only.
  await expect(page.getByTestId("shop")).toHaveText("—");

  // Then hydrated: the wasm bundle took over the page.
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  const firstAnswer = await page.getByTestId("checked-at").getAttribute("datetime");

  // A click goes browser → server function → database and back, without reloading the page.
  const roundTrip = page.waitForResponse(
    (r) => r.url().includes("/api/system/status") && r.status() === 200,
  );
  await page.getByTestId("check-again").click();
  const response = await roundTrip;
  const body = await response.json();
  expect(body.schema_version).toBe(body.expected_schema_version);

  await expect(page.getByTestId("check-count")).toContainText("2");
  await expect(page.getByTestId("checked-at")).not.toHaveAttribute("datetime", firstAnswer ?? "");
  await expect(page.getByTestId("engine")).toHaveText(/surrealkv|memory|remote/);

  // Tailwind's CSS is served and applied (the button is the brand red, not the UA grey).
  const buttonColour = await page
    .getByTestId("check-again")
    .evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(buttonColour).not.toBe("rgba(0, 0, 0, 0)");
  expect(buttonColour).not.toBe("rgb(239, 239, 239)");

  await page.screenshot({
    path: screenshot(`home-${testInfo.project.name}`),
    fullPage: true,
  });
  expect(consoleErrors).toEqual([]);
});

test("signed-in staff see their own restaurant on the home page", async ({ page }) => {
  await signInCashier(page);
  await page.goto("/");
  await expect(page.getByTestId("shop")).toHaveText("老成都川菜馆");
});

test("an unknown page shows the console's 404", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByText("页面不存在")).toBeVisible();
});
