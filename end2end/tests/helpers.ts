import { randomUUID } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { type APIRequestContext, type Browser, type Page, expect } from "@playwright/test";

/** No WCAG 2.x A/AA violation on the page as it is now (axe-core, in the real browser). */
export async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const found = results.violations.map(
    (v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  expect(found, what).toEqual([]);
}

/** The JSON API, as a diner's app or another till uses it. */
export function api(request: APIRequestContext) {
  const post = async (url: string, token: string | null, data: object) => {
    const headers: Record<string, string> = { "idempotency-key": randomUUID() };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await request.post(url, { headers, data });
    expect(response.status(), url).toBe(200);
    return response.json();
  };
  const get = async (url: string, token: string) => {
    const response = await request.get(url, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status(), url).toBe(200);
    return response.json();
  };
  const cashier = async () =>
    (await post("/api/auth/staff/login", null, { username: "xiaozhang", password: "cashier-demo-1" }))
      .token as string;
  const diner = async (uid: string) =>
    (await post("/api/auth/diner/login", null, { code: `dev:${uid}` })).token as string;
  return { post, get, cashier, diner };
}

/** Signs a demo member of staff in through the sign-in page; ends on the counter. */
export async function signIn(page: Page, username: string, password: string) {
  await page.goto("/login");
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(password);
  await page.getByTestId("sign-in").click();
  await expect(page).toHaveURL(/\/cashier$/);
}

/** Signs the demo cashier in; ends on the counter. */
export async function signInCashier(page: Page) {
  await signIn(page, "xiaozhang", "cashier-demo-1");
}

/** Signs the demo owner in and opens a console page from the menu (`campaigns`, `proposals`). */
export async function signInOwnerTo(page: Page, menu: string) {
  await signIn(page, "laowang", "owner-demo-1");
  await page.getByTestId(`nav-${menu}`).click();
  await expect(page).toHaveURL(new RegExp(`/${menu}$`));
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
}

/** A demo diner's page in a phone-sized browser of their own, signed in as `uid`. */
export async function openDinerPage(browser: Browser, uid: string) {
  const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
  const diner = await context.newPage();
  await diner.goto("/diner");
  await expect(diner.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await diner.getByTestId("diner-uid").selectOption(uid);
  await diner.getByTestId("diner-sign-in").click();
  return { context, diner };
}
