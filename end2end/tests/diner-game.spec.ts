import path from "node:path";
import { type Page, expect, test } from "@playwright/test";
import { api, expectAccessible } from "./helpers";

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);

test("a diner walks, earns silver from a steps campaign, buys fragments and makes a card", async ({
  browser,
  request,
}, testInfo) => {
  const project = testInfo.project.name;
  const uid = `wx-e2e-walker-${project}`;
  const shot = (page: Page, state: string) =>
    page.screenshot({ path: screenshot(`diner-game-${state}-${project}`), fullPage: true });

  // The boss's campaign: 8,000 steps today are worth 60 silver, once a day.
  const { post } = api(request);
  const boss = (await post("/api/auth/staff/login", null, { username: "laowang", password: "owner-demo-1" }))
    .token as string;
  const code = `WALK_${project.toUpperCase()}`;
  await post("/api/campaigns/create", boss, {
    campaign: {
      code,
      spec: {
        name: "日行八千",
        triggers: ["STEPS_SYNCED"],
        condition: { check: "steps", at_least: 8000 },
        priority: 10,
        action: {
          story: {
            title: "{nickname}，今天走得真远",
            scenes: [{ text: "送你{rewards}，去集市换碎片吧", mood: "SUNSHINE" }],
          },
          grants: { silver: 60 },
        },
        daily_budget_cap: "500.00",
        limits: { per_diner_per_day: 1 },
        holdout_percent: 0,
      },
    },
  });
  await post("/api/campaigns/status", boss, { code, status: "ACTIVE" });

  // A new diner of this project, signed in on a phone-sized page.
  const context = await browser.newContext({ viewport: project === "desktop" ? { width: 1280, height: 900 } : { width: 820, height: 1180 } });
  const diner = await context.newPage();
  await diner.goto("/diner");
  await expect(diner.locator("#app")).toHaveAttribute("data-hydrated", "true");
  // Any uid logs in with a DEV code; the demo form offers two, so this test adds its own.
  await diner.getByTestId("diner-uid").evaluate((select, uid) => {
    select.append(new Option(uid, uid));
  }, uid);
  await diner.getByTestId("diner-uid").selectOption(uid);
  await diner.getByTestId("diner-sign-in").click();
  await expect(diner.getByTestId("diner-silver")).toContainText("碎银 0");
  await expect(diner.getByTestId("recipe").first()).toBeVisible();
  await expectAccessible(diner, "the diner's game");

  // Steps from WeChat Run (the DEV stand-in): counted, and the campaign's story arrives live.
  await diner.getByTestId("steps-input").fill("9000");
  await diner.getByTestId("steps-sync").click();
  await expect(diner.getByTestId("steps-synced")).toContainText("新计入 9000 步");
  await expect(diner.getByTestId("steps-today")).toContainText("今天 9000 步");
  const story = diner.locator(`[data-testid="story"][data-campaign="${code}"]`);
  await expect(story).toContainText("今天走得真远");
  await expect(diner.getByTestId("diner-silver")).not.toContainText("碎银 0");
  await shot(diner, "walked");

  // The recipe of 凉菜入席令 (3 chili, 2 pepper) from the market: 30 + 24 silver.
  const appetizer = diner.locator('[data-testid="recipe"][data-card-type="FREE_APPETIZER"]');
  await expect(appetizer.getByTestId("synthesize")).toBeDisabled();
  const left = Number(await appetizer.getAttribute("data-left"));
  const buy = async (fragment: string, quantity: string) => {
    const row = diner.locator(`[data-testid="listing"][data-fragment="${fragment}"]`);
    await row.getByTestId("trade-side").selectOption("BUY");
    await row.getByTestId("trade-quantity").fill(quantity);
    await row.getByTestId("trade").click();
    await expect(diner.getByTestId("traded")).toContainText(`成交 ${quantity} 个`);
  };
  await buy("CHILI", "3");
  await expect(diner.locator('[data-testid="fragment"][data-code="CHILI"]')).toHaveAttribute("data-count", "3");
  await buy("PEPPER", "2");
  await expect(diner.locator('[data-testid="fragment"][data-code="PEPPER"]')).toHaveAttribute("data-count", "2");
  await expect(appetizer.getByTestId("synthesize")).toBeEnabled();
  await shot(diner, "ready");

  // Made: the fragments are spent, today's stock is one less, the card is in the pocket.
  await appetizer.getByTestId("synthesize").click();
  await expect(diner.getByTestId("synthesized")).toBeVisible();
  await expect(diner.getByTestId("diner-card")).toHaveCount(1);
  await expect(diner.locator('[data-testid="fragment"][data-code="CHILI"]')).toHaveCount(0);
  await expect(diner.locator('[data-testid="recipe"][data-card-type="FREE_APPETIZER"]')).not.toHaveAttribute(
    "data-left",
    String(left),
  );

  // Selling what the shop does not buy back is not offered; selling more than held is refused.
  const pepper = diner.locator('[data-testid="listing"][data-fragment="PEPPER"]');
  await pepper.getByTestId("trade-side").selectOption("SELL");
  await pepper.getByTestId("trade-quantity").fill("5");
  await pepper.getByTestId("trade").click();
  await expect(diner.getByTestId("trade-refused")).toContainText("碎片不够");
  await expect(
    diner.locator('[data-testid="listing"][data-fragment="PANDA"]').getByTestId("trade-side").locator("option"),
  ).toHaveCount(1);
  await expectAccessible(diner, "the diner's game after a synthesis");
  await shot(diner, "made");
  await context.close();
});
