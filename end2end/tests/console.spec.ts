import path from "node:path";
import zlib from "node:zlib";
import { expect, test } from "@playwright/test";
import { api, expectAccessible, signIn, signInCashier, signInOwnerTo } from "./helpers";

/** A PNG of one colour with a lighter stripe, drawn here (no image library needed). */
function png(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = [0];
    for (let x = 0; x < width; x++) {
      const light = Math.abs(x - y) < 6 ? 50 : 0;
      row.push(Math.min(255, r + light), Math.min(255, g + light), Math.min(255, b + light));
    }
    rows.push(Buffer.from(row));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

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
  // In the page's language: the rule the server checks it by.
  await expect(tierForm.locator("#tier-form-bonus-fault")).toContainText("赠送不能多于实付");
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
  await expect(page.locator("#shop-margin_floor-fault")).toContainText("0 到 90");
  await expect(page.getByTestId("shop-refused")).toBeVisible();
  await expectAccessible(page, "the settings page with faults");
  await shot("faults");

  // A logo from the owner's own file (each project its own colour, so its own picture);
  // a file that is not a picture is refused at the field.
  const logoFile = page.getByTestId("logo-file");
  await logoFile.setInputFiles({ name: "菜单.txt", mimeType: "text/plain", buffer: Buffer.from("麻婆豆腐 18 元") });
  await page.getByTestId("logo-send").click();
  await expect(page.getByTestId("logo-fault")).toContainText("PNG、JPEG 或 WebP");
  const shopLogo = page.getByTestId("shop-logo");
  const before = (await shopLogo.count()) > 0 ? await shopLogo.getAttribute("src") : null;
  const colour: [number, number, number] = project === "desktop" ? [200, 30, 30] : [30, 120, 200];
  await logoFile.setInputFiles({ name: `老王-${project}.png`, mimeType: "image/png", buffer: png(48, 32, colour) });
  await page.getByTestId("logo-send").click();
  await expect(shopLogo).toHaveAttribute("src", /\.thumb\.png$/);
  await expect(shopLogo).not.toHaveAttribute("src", before ?? "none");
  await expect(page.getByTestId("logo-fault")).toBeEmpty();
  await shot("logo");

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
  const thread = await reply.getAttribute("data-thread");
  await expect(page.getByTestId("copilot-thread")).toHaveAttribute("href", `/proposals#thread-${thread}`);
  await shot("copilot");
  // The link lands on that thread's card (running, then waiting for the boss).
  await page.getByTestId("copilot-thread").click();
  await expect(page).toHaveURL(new RegExp(`/proposals#thread-${thread}$`));
  await expect(page.locator(`[id="thread-${thread}"]`)).toBeVisible({ timeout: 20_000 });
});
