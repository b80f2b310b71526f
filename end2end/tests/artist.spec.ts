import path from "node:path";
import { expect, test } from "@playwright/test";
import { expectAccessible, openDinerPage, signInOwnerTo } from "./helpers";

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);

test("the boss asks the Artist for a picture, sees four, picks one, finds it in the library and makes it a card's art", async ({
  page,
  browser,
}, testInfo) => {
  test.slow();
  const project = testInfo.project.name;
  // Each project draws its own dish and dresses its own card type (they run side by side).
  const [dish, cardType, cardName] =
    project === "desktop"
      ? ["麻辣小龙虾", "FREE_APPETIZER", "凉菜入席令"]
      : ["水煮鱼", "HOTPOT_30", "火锅立减入席令"];
  const shot = (state: string) =>
    page.screenshot({ path: screenshot(`artist-${state}-${project}`), fullPage: true });

  await signInOwnerTo(page, "artist");
  await expectAccessible(page, "the studio");

  await page.getByTestId("artist-text").fill(`弄一张${dish}的图`);
  await page.getByTestId("artist-send").click();
  const started = page.getByTestId("artist-started");
  await expect(started).toHaveAttribute("data-thread", /.+/);
  const thread = (await started.getAttribute("data-thread")) ?? "";

  // The four pictures arrive without a reload, each a picture the browser could draw.
  const offer = page.locator(`[data-testid="offer"][data-thread="${thread}"]`);
  await expect(offer).toBeVisible({ timeout: 30_000 });
  await expect(offer).toContainText(dish);
  const candidates = offer.getByTestId("candidate");
  await expect(candidates).toHaveCount(4);
  for (const image of await offer.locator("img").all()) {
    await expect(image).toHaveJSProperty("complete", true);
    expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  }
  const sources = await offer.locator("img").evaluateAll((images) =>
    images.map((img) => (img as HTMLImageElement).getAttribute("src")),
  );
  expect(new Set(sources).size).toBe(4);
  await expectAccessible(page, "the studio with four pictures");
  await shot("offer");

  // The third is picked: the offer goes, the picture is in the library.
  const third = sources[2] ?? "";
  await candidates.nth(2).getByTestId("pick").click();
  await expect(offer).toHaveCount(0, { timeout: 20_000 });
  const asset = page.getByTestId("asset").filter({ has: page.locator(`img[src="${third}"]`) });
  await expect(asset).toBeVisible({ timeout: 20_000 });
  await expect(asset).toContainText(dish);

  // Found by the filter, then given to a card type.
  await page.getByTestId("library-text").fill(dish);
  await expect(asset).toBeVisible();
  await page.getByTestId("library-kind").selectOption("STORY_ART");
  await expect(asset).toHaveCount(0);
  await page.getByTestId("library-kind").selectOption("CARD_ART");
  await expect(asset).toBeVisible();
  await asset.getByTestId("attach-card").selectOption(cardType);
  await asset.getByTestId("attach").click();
  await expect(page.getByTestId("attached")).toContainText(cardName);
  await expect(asset.getByTestId("asset-used")).toContainText(cardName);
  await expectAccessible(page, "the studio's library");
  await shot("library");

  if (project === "desktop") {
    // The diner's cards of that type now wear it.
    const { context: dinerContext, diner } = await openDinerPage(browser, "wx-demo-001");
    const art = diner.locator('[data-testid="diner-card"]').filter({ hasText: cardName }).getByTestId("card-art");
    await expect(art.first()).toHaveAttribute("src", third);
    await expectAccessible(diner, "the diner's cards with their art");
    await diner.screenshot({ path: screenshot("diner-card-art"), fullPage: true });
    await dinerContext.close();
  }
});
