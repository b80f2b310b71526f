import path from "node:path";
import { type APIRequestContext, expect, test } from "@playwright/test";
import { api } from "./helpers";

const screenshot = (name: string) => path.join(__dirname, "..", "screenshots", `${name}.png`);
const DINER = "wx-demo-001";

/** A fresh payment order of the demo diner for `amount`, with enough balance to collect it. */
async function paymentOrder(
  request: APIRequestContext,
  amount: string,
): Promise<{ code: string; payment_id: string }> {
  const { post, cashier, diner } = api(request);
  await post("/api/wallet/recharge", await cashier(), { uid: DINER, tier: "T100" });
  const order = await post("/api/payment/create", await diner(DINER), {
    merchant_id: "demo",
    amount,
  });
  return order;
}

test("a cashier signs in, scans a payment code, and sees it refused when scanned again", async ({
  page,
  request,
  context,
}, testInfo) => {
  const consoleErrors: string[] = [];
  page.on("console", (msg) => {
    // The refused sign-in below is a real 401, which the browser logs; nothing else may.
    if (msg.type() === "error" && !msg.text().includes("status of 401")) {
      consoleErrors.push(msg.text());
    }
  });
  const shot = (state: string) =>
    page.screenshot({ path: screenshot(`cashier-${state}-${testInfo.project.name}`), fullPage: true });

  // The counter needs a signed-in member of staff.
  await page.goto("/cashier");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("用户名").fill("xiaozhang");
  await page.getByLabel("密码").fill("wrong-password");
  await page.getByTestId("sign-in").click();
  await expect(page.getByTestId("sign-in-error")).toContainText("用户名或密码不对");
  await shot("sign-in-refused");

  await page.getByLabel("密码").fill("cashier-demo-1");
  await page.getByTestId("sign-in").click();
  await expect(page).toHaveURL(/\/cashier$/);
  await expect(page.getByTestId("signed-in-as")).toContainText("CASHIER");
  await expect(page.getByTestId("nav-user")).toBeVisible();

  // The session is an HttpOnly, SameSite=Strict cookie: page scripts never see the token.
  const session = (await context.cookies()).find((c) => c.name === "mq_session");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Strict");
  expect(await page.evaluate(() => document.cookie)).not.toContain("mq_session");
  await shot("ready");

  // A scanner types the code and presses Enter.
  const order = await paymentOrder(request, "25.00");
  const code = order.code;
  const box = page.getByTestId("scan-input");
  await expect(box).toBeFocused();
  await box.pressSequentially(code);
  await box.press("Enter");
  await expect(page.getByTestId("scan-ok")).toContainText("收款成功");
  await expect(page.getByTestId("scan-ok")).toContainText("25.00");
  // Ready for the next scan at once: empty and focused.
  await expect(box).toHaveValue("");
  await expect(box).toBeFocused();
  // The shop's live feed heard it over the WebSocket, and the recharge made at another
  // till (through the API) before it, without a reload.
  const feed = page.getByTestId("live-feed");
  await expect(feed).toContainText("收款 ¥25.00");
  await expect(feed).toContainText("储值变动");
  await expect(feed).toContainText(DINER);
  await shot("collected");

  // Today's list survives a reload: it is read from the shop's event log, then goes live.
  await page.reload();
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await expect(feed).toContainText("收款 ¥25.00");

  // The same code again: refused, clearly.
  await box.pressSequentially(code);
  await box.press("Enter");
  await expect(page.getByTestId("scan-refused")).toContainText("已处理");
  await shot("already-collected");

  // Something that is no code at all.
  await box.pressSequentially("hello");
  await box.press("Enter");
  await expect(page.getByTestId("scan-refused")).toContainText("无法识别");
  await shot("unreadable");

  // Recharge: find the diner, pick a tier, confirm; the new balance shows, and the feed hears it.
  // 小红 is new at this shop, so her phone number does not find her yet (nobody's number
  // finds another shop's diner): she shows her member code, which the scanner types in.
  const { post, cashier, diner } = api(request);
  const member = await post("/api/diner/member_code", await diner("wx-demo-002"), {});
  await page.getByTestId("recharge-uid").fill(member.code);
  await page.getByTestId("recharge-find").click();
  await expect(page.getByTestId("recharge-diner")).toContainText("小红");
  await page.getByText("充300送80").click();
  await page.getByTestId("recharge-confirm").click();
  const recharged = page.getByTestId("scan-ok").filter({ hasText: "充值成功" });
  await expect(recharged).toContainText("充300送80");
  await expect(recharged).toContainText("本金");
  // The diner's line above follows: it shows the balance after the recharge too.
  const after = (await recharged.textContent())?.match(/¥[\d.]+/)?.[0] ?? "none";
  await expect(page.getByTestId("recharge-balance")).toContainText(after);
  await expect(page.getByTestId("live-feed")).toContainText("wx-demo-002");
  await shot("recharged");

  // An unknown diner is said so.
  const nobody = page.getByTestId("scan-refused").filter({ hasText: "没有此顾客" });
  await page.getByTestId("recharge-uid").fill("nobody-here");
  await page.getByTestId("recharge-find").click();
  await expect(nobody).toBeVisible();

  // A customer here now, next time she gives her phone number instead.
  await page.getByTestId("recharge-uid").fill("13800000002");
  await page.getByTestId("recharge-find").click();
  await expect(page.getByTestId("recharge-diner")).toContainText("小红");

  // A cashier who corrects a lookup sees the answer to the correction, even when the answer
  // to the first question comes back last.
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route("**/console/diner", async (route) => route.continue(await held), { times: 1 });
  const finder = page.getByTestId("recharge-find-form");
  await page.getByTestId("recharge-uid").fill("13800000002");
  await page.getByTestId("recharge-find").click();
  await page.getByTestId("recharge-uid").fill("nobody-here");
  await page.getByTestId("recharge-find").click();
  await expect(nobody).toBeVisible();
  await expect(finder).toHaveAttribute("aria-busy", "true");
  release();
  await expect(finder).toHaveAttribute("aria-busy", "false");
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0))));
  await expect(nobody).toBeVisible();
  await expect(page.getByTestId("recharge-diner")).toHaveCount(0);

  // Stored-value refund: the clawback is previewed before it is confirmed. A diner of this
  // test alone, with one 充300送80: principal 300, bonus 80.
  const refundee = `e2e-refund-${testInfo.project.name}-${Date.now()}`;
  await diner(refundee);
  await post("/api/wallet/recharge", await cashier(), { uid: refundee, tier: "T300" });
  await page.getByTestId("refund-uid").fill(refundee);
  await page.getByTestId("refund-amount").fill("100");
  await page.getByTestId("refund-preview").click();
  // 100 of 300 principal takes back 80 × 100/300 = 26.67 of the bonus.
  await expect(page.getByTestId("clawback-payout")).toHaveText("¥100.00");
  await expect(page.getByTestId("clawback-clawback")).toHaveText("¥26.67");
  await expect(page.getByTestId("clawback-bonus-taken")).toHaveText("¥26.67");
  await expect(page.getByTestId("clawback-shortfall")).toHaveText("¥0.00");
  await expect(page.getByTestId("clawback-after")).toContainText("¥253.33");
  await shot("refund-preview");
  await page.getByTestId("refund-confirm").click();
  const refunded = page.getByTestId("scan-ok").filter({ hasText: "已退款" });
  await expect(refunded).toContainText("¥100.00");
  await expect(refunded).toContainText("¥253.33");
  await shot("refunded");

  // A collected payment is refunded from its line in the feed.
  await page
    .locator(`[data-payment="${order.payment_id}"]`)
    .getByTestId("refund-payment")
    .click();
  await expect(page.getByTestId("scan-ok").filter({ hasText: "已退款 ¥25.00" })).toBeVisible();
  await expect(
    page.locator(`[data-payment="${order.payment_id}"]`).getByTestId("payment-refunded"),
  ).toBeVisible();
  await shot("payment-refunded");

  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/cashier");
  await expect(page).toHaveURL(/\/login$/);
  expect(consoleErrors).toEqual([]);
});
