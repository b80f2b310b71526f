import path from "node:path";
import { expect, test } from "@playwright/test";
import { expectAccessible, signInOwnerTo } from "./helpers";

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);

/** The campaign code the Strategist gives a thread's proposal (service::strategist::campaign_code). */
const campaignCode = (thread: string) => `AI_${thread.replace(/[^0-9a-z]/gi, "").toUpperCase().slice(0, 20)}`;

test("the boss asks the AI strategist, the proposal appears live, one is approved and goes live, another is rejected and remembered", async ({
  page,
}, testInfo) => {
  test.slow();
  const project = testInfo.project.name;
  // Each project moves its own stock (each card is found by its thread all the same).
  const [kept, dropped] = project === "desktop" ? ["鸭脖", "毛豆"] : ["兔头", "藕片"];
  const shot = (state: string) =>
    page.screenshot({ path: screenshot(`proposals-${state}-${project}`), fullPage: true });

  await signInOwnerTo(page, "proposals");

  // The sentence goes to the Copilot; the card appears without a reload.
  let last = "";
  const ask = async (text: string, item: string) => {
    await page.getByTestId("copilot-text").fill(text);
    await page.getByTestId("copilot-send").click();
    const reply = page.getByTestId("copilot-reply");
    await expect(reply).toContainText(item);
    // The answer to this sentence, not to the one before.
    await expect(reply).toHaveAttribute("data-thread", /.+/);
    await expect(reply).not.toHaveAttribute("data-thread", last);
    const thread = (await reply.getAttribute("data-thread")) ?? "";
    last = thread;
    const card = page.locator(`[data-testid="proposal-card"][data-thread="${thread}"]`);
    await expect(card).toBeVisible({ timeout: 20_000 });
    await expect(card).toContainText(`${item}积压`);
    return card;
  };
  const card = await ask(`${kept}积压了300份，下雨天搞个活动`, kept);
  await expect(card.getByTestId("proposal-margin")).toContainText("%");
  await expect(card.getByTestId("proposal-projection")).toBeVisible();
  await expect(card.getByTestId("proposal-story")).toBeVisible();
  await expectAccessible(page, "the proposal inbox with a card");
  await shot("card");

  // Edited then approved: the budget the boss typed is the campaign's.
  const thread = (await card.getAttribute("data-thread")) ?? "";
  await card.getByTestId("proposal-budget").fill("66");
  await card.getByTestId("proposal-approve").click();
  await expect(page.locator(`[data-testid="proposal-card"][data-thread="${thread}"]`)).toHaveCount(0, {
    timeout: 20_000,
  });
  // Done (its decision's step put the campaign live), then on the campaigns page.
  await expect(page.locator(`[data-testid="finished-thread"][data-thread="${thread}"]`)).toHaveAttribute(
    "data-status",
    "DONE",
    { timeout: 20_000 },
  );
  await page.getByTestId("nav-campaigns").click();
  await expect(page).toHaveURL(/\/campaigns$/);
  const row = page.locator(`[data-testid="campaign-row"][data-code="${campaignCode(thread)}"]`);
  await expect(row).toHaveAttribute("data-status", "ACTIVE");
  await expect(row.getByTestId("campaign-budget")).toContainText("¥66");

  // Another is rejected with a reason, which the next proposal keeps in mind.
  await page.getByTestId("nav-proposals").click();
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  const other = await ask(`${dropped}积压了200份，搞个活动`, dropped);
  await other.getByTestId("proposal-reason").fill("不要打折，送菜可以");
  await other.getByTestId("proposal-reject").click();
  await expect(other).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByTestId("finished-thread").first()).toBeVisible();
  const next = await ask(`${dropped}还剩200份，想想办法搞个活动`, dropped);
  await expect(next).toContainText("记着老板说过");
  await expect(next.getByTestId("proposal-reason")).toHaveValue("");
  await expectAccessible(page, "the inbox after decisions");
  await shot("decided");
});
