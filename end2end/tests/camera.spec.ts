import { writeFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import qrcode from "qrcode-generator";
import { api, signInCashier } from "./helpers";

const WIDTH = 640;
const HEIGHT = 480;

/**
 * One 640×480 frame of `text` as a QR code, dark on light, in Y4M (the raw video format
 * Chromium's fake camera plays, looping): 4:2:0, a luma plane and two grey chroma planes.
 */
function qrVideo(text: string): Buffer {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const modules = qr.getModuleCount();
  const scale = Math.floor((HEIGHT - 80) / (modules + 8));
  const left = Math.floor((WIDTH - modules * scale) / 2);
  const top = Math.floor((HEIGHT - modules * scale) / 2);
  const luma = Buffer.alloc(WIDTH * HEIGHT, 230);
  for (let y = 0; y < modules * scale; y++) {
    for (let x = 0; x < modules * scale; x++) {
      if (qr.isDark(Math.floor(y / scale), Math.floor(x / scale))) {
        luma[(top + y) * WIDTH + left + x] = 25;
      }
    }
  }
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128);
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\n`);
  return Buffer.concat([header, Buffer.from("FRAME\n"), luma, chroma]);
}

test("a cashier scans a payment code and a member code with the camera", async ({ playwright, request }, testInfo) => {
  // A payment code of a diner of this test alone, with the balance to pay it.
  const uid = `e2e-camera-${testInfo.project.name}-${Date.now()}`;
  const { post, cashier, diner } = api(request);
  await diner(uid);
  await post("/api/wallet/recharge", await cashier(), { uid, tier: "T100" });
  const order = await post("/api/payment/create", await diner(uid), { merchant_id: "demo", amount: "8.80" });

  // The camera is Chromium's fake device, playing that code held up to it.
  const video = testInfo.outputPath("payment-code.y4m");
  writeFileSync(video, qrVideo(order.code));
  const project = testInfo.project.use;
  const browser = await playwright.chromium.launch({
    ...project.launchOptions,
    args: [
      ...(project.launchOptions?.args ?? []),
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-video-capture=${video}`,
    ],
  });
  try {
    const context = await browser.newContext({
      baseURL: project.baseURL,
      viewport: project.viewport,
      hasTouch: project.hasTouch,
      permissions: ["camera"],
    });
    const page = await context.newPage();
    await signInCashier(page);
    await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");

    await page.getByTestId("camera-toggle").click();
    // Read, collected, and the camera closes for the next diner.
    await expect(page.getByTestId("scan-ok")).toContainText("收款成功 ¥8.80");
    await expect(page.getByTestId("camera-view")).toHaveCount(0);
    await page.screenshot({
      path: path.join(__dirname, "..", "screenshots", `camera-collected-${testInfo.project.name}.png`),
      fullPage: true,
    });

    // The same code again is refused, as from the scan box.
    await page.getByTestId("camera-toggle").click();
    await expect(page.getByTestId("scan-refused")).toContainText("已处理");

    // A recharge: the diner shows their member code (a QR code of a short-lived signed code
    // their app gets), not their id.
    const member = await post("/api/diner/member_code", await diner(uid), {});
    writeFileSync(video, qrVideo(member.code));
    await page.getByTestId("member-camera-toggle").click();
    await expect(page.getByTestId("recharge-diner")).toContainText(uid);
  } finally {
    await browser.close();
  }
});
