import path from "node:path";
import { expect, test } from "@playwright/test";
import { api, expectAccessible, signIn, signInCashier, signInOwnerTo } from "./helpers";

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);

test("the owner changes a card's daily cap in the settings and the counter shows it; faults show at their fields", async ({
  page,
  browser,
}, testInfo) => {
  test.slow();
  const project = testInfo.project.name;
  const shot = (state: string) =>
    page.screenshot({ path: screenshot(`settings-${state}-${project}`), fullPage: true });
  // Each project its own card, so the two never race for one cap.
  const [card, cap] = project === "desktop" ? ["FREE_APPETIZER", "17"] : ["HOTPOT_30", "8"];

  await signInOwnerTo(page, "settings");
  await expect(page.getByRole("heading", { name: "店铺设置", level: 1 })).toBeVisible();
  await expect(page.getByTestId("cards-table")).toBeVisible();
  await expectAccessible(page, "the settings page");
  await shot("page");

  // The cap, set through the catalogue's own server function.
  const capForm = page.getByTestId("cap-form");
  await capForm.getByLabel("入席令").selectOption(card);
  await capForm.getByLabel("每日上限").fill(cap);
  await capForm.getByRole("button", { name: "保存" }).click();
  await expect(page.getByTestId("settings-saved")).toBeVisible();
  await expect(page.locator(`[data-testid="card-row"][data-code="${card}"] [data-testid="card-cap"]`)).toHaveText(cap);

  // A bonus larger than what is paid: the server's refusal shows at the bonus.
  const tierForm = page.getByTestId("tier-form");
  await tierForm.getByLabel("编码").fill(`T_BAD_${project.toUpperCase()}`);
  await tierForm.getByLabel("名称").fill("送太多了");
  await tierForm.getByLabel("实付（元）").fill("10");
  await tierForm.getByLabel("赠送（元）").fill("20");
  await tierForm.getByRole("button", { name: "保存" }).click();
  const bonus = tierForm.getByLabel("赠送（元）");
  await expect(bonus).toHaveAttribute("aria-invalid", "true");
  await expect(tierForm.locator("#tier-form-bonus-fault")).toContainText("bonus");
  // A count that is not a number is named in the browser, before anything is sent.
  const cardForm = page.getByTestId("card-form");
  await cardForm.getByLabel("每日上限").fill("很多");
  await cardForm.getByRole("button", { name: "保存" }).click();
  await expect(page.locator("#card-form-daily_cap-fault")).toContainText("请填一个整数");
  await expect(cardForm.getByTestId("form-refused")).toContainText("请改正标红的项");
  // The shop's margin floor past 90 %: refused at its field, nothing saved.
  const margin = page.getByLabel("毛利底线（%）");
  await margin.fill("95");
  await page.getByTestId("shop-save").click();
  await expect(margin).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByTestId("shop-refused")).toBeVisible();
  await expectAccessible(page, "the settings page with faults");
  await shot("faults");

  // At the counter, in another browser: today's stock under the new cap.
  const counter = await browser.newContext();
  const till = await counter.newPage();
  await signInCashier(till);
  await expect(till.locator(`[data-testid="counter-stock-card"][data-code="${card}"]`)).toContainText(`/ ${cap}`);
  await counter.close();

  // In English.
  await page.getByTestId("language-switch").click();
  await expect(page.getByRole("heading", { name: "Shop settings", level: 1 })).toBeVisible();
  await expectAccessible(page, "the settings page in English");
  await page.getByTestId("language-switch").click();
});

test("with receipts on, a recharge at the counter opens its receipt and the print dialog", async ({
  page,
  request,
}, testInfo) => {
  test.slow();
  const project = testInfo.project.name;
  const { post, cashier } = api(request);
  const turn = async (on: boolean) => {
    // The settings form as the owner's browser posts it (everything else as it is).
    const owner = await page.context().newPage();
    await owner.goto("/console/settings");
    await expect(owner.locator("#app")).toHaveAttribute("data-hydrated", "true");
    await owner.getByTestId("shop-auto-print").setChecked(on);
    await owner.getByLabel("毛利底线（%）").fill("40");
    await owner.getByTestId("shop-save").click();
    await expect(owner.getByTestId("shop-saved")).toBeVisible();
    await owner.close();
  };
  await page.addInitScript(() => {
    // Count the print dialogs instead of opening them.
    (window as unknown as { printed: number }).printed = 0;
    window.print = () => {
      (window as unknown as { printed: number }).printed += 1;
    };
  });
  await signIn(page, "laowang", "owner-demo-1");
  await turn(true);
  try {
    await page.goto("/cashier");
    await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
    const uid = project === "desktop" ? "wx-demo-001" : "wx-demo-002";
    await post("/api/wallet/recharge", await cashier(), { uid, tier: "T100" }); // the diner exists
    await page.getByTestId("recharge-uid").fill(uid);
    await page.getByTestId("recharge-find").click();
    await expect(page.getByTestId("recharge-diner")).toBeVisible();
    await page.getByTestId("recharge-diner").getByText("充100送20").click();
    await page.getByTestId("recharge-confirm").click();
    const receipt = page.getByTestId("receipt");
    await expect(receipt).toBeVisible();
    await expect(receipt).toContainText("充值小票");
    await expect(receipt).toContainText("¥100");
    await expect.poll(() => page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
    await expectAccessible(page, "the counter with a receipt");
    await page.screenshot({ path: screenshot(`receipt-${project}`), fullPage: true });
  } finally {
    await turn(false);
  }
});

test("the owner adds a cashier who signs in, then disables them; the copilot box starts the Strategist from any console page", async ({
  page,
  browser,
}, testInfo) => {
  test.slow();
  const project = testInfo.project.name;
  const shot = (state: string) =>
    page.screenshot({ path: screenshot(`staff-${state}-${project}`), fullPage: true });
  const username = `newbie-${project}-${Date.now() % 100000}`;

  await signIn(page, "laowang", "owner-demo-1");
  await page.getByTestId("nav-staff").click();
  await expect(page).toHaveURL(/\/console\/staff$/);
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("staff-table")).toBeVisible();
  await page.getByTestId("staff-username").fill(username);
  await page.getByTestId("staff-display").fill("新来的小陈");
  await page.getByTestId("staff-role").selectOption("CASHIER");
  await page.getByTestId("staff-first-password").fill("counter-2026");
  await page.getByTestId("staff-add").click();
  await expect(page.getByTestId("staff-ok")).toBeVisible();
  const row = page.locator(`[data-testid="staff-member"][data-username="${username}"]`);
  await expect(row).toBeVisible();
  await expectAccessible(page, "the staff page");
  await shot("page");

  // The new cashier signs in, in another browser, and sees the counter only.
  const theirs = await browser.newContext();
  const till = await theirs.newPage();
  await signIn(till, username, "counter-2026");
  await expect(till.getByTestId("nav-staff")).toHaveCount(0);
  await expect(till.getByTestId("copilot-text")).toHaveCount(0);

  // Disabled: their next request finds them signed out.
  await row.getByTestId("staff-toggle").click();
  await expect(row).toHaveAttribute("data-active", "false");
  await till.goto("/cashier");
  await expect(till).toHaveURL(/\/login$/);
  await theirs.close();

  // The copilot box, on the staff page as on every console page, starts the Strategist.
  await page.getByTestId("copilot-text").fill("毛豆积压了200份，周末搞个活动");
  await page.getByTestId("copilot-send").click();
  const reply = page.getByTestId("copilot-reply");
  await expect(reply).toHaveAttribute("data-thread", /.+/, { timeout: 20_000 });
  await expect(page.getByTestId("copilot-thread")).toHaveAttribute("href", "/proposals");
  await shot("copilot");
  await page.getByTestId("copilot-thread").click();
  await expect(page).toHaveURL(/\/proposals$/);
});
