import path from "node:path";
import { expect, test } from "@playwright/test";

test("the API docs page renders the OpenAPI document offline", async ({ page }, testInfo) => {
  const external: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") external.push(request.url());
  });
  await page.goto("/api/docs/");
  await expect(page.getByText("MealQuest API")).toBeVisible();
  await expect(page.getByText("/api/payment/verify").first()).toBeVisible();
  await page.screenshot({
    path: path.join(__dirname, "..", "screenshots", `api-docs-${testInfo.project.name}.png`),
    fullPage: false,
  });
  expect(external).toEqual([]);
});
