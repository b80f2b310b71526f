//! Staff management through the console's endpoints (the staff page's forms) and the real
//! router: an owner adds a cashier who signs in, a disabled account is refused at its next
//! request by token and by cookie, a manager adds cashiers only, and another shop's owner
//! sees none of this shop's staff.

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};

pub(crate) const OWNER: (&str, &str) = ("laowang", "owner-demo-1");
pub(crate) const MANAGER: (&str, &str) = ("xiaoli", "manager-demo-1");

impl TestApp {
    /// Signs `username` in through the console's form; the session cookie's `name=value`.
    pub(crate) async fn cookie_of(&self, username: &str, password: &str) -> String {
        let response = self
            .client
            .post(self.url("/console/sign_in"))
            .header("accept", "text/html")
            .header("origin", self.origin())
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("sent");
        let header = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{username} signed in: {}", response.status()))
            .to_owned();
        header.split(';').next().expect("name=value").to_owned()
    }

    /// The staff page's list as `cookie` sees it: username → (id, active).
    async fn team(&self, cookie: &str) -> Vec<(String, String, bool)> {
        let (status, view) = self.console_form("/console/staff", cookie, &[]).await;
        assert_eq!(status, 200, "{view}");
        view.get("members")
            .and_then(Value::as_array)
            .map(|members| {
                members
                    .iter()
                    .map(|m| {
                        (
                            m["username"].as_str().unwrap_or_default().to_owned(),
                            m["id"].as_str().unwrap_or_default().to_owned(),
                            m["active"].as_bool().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn wallet_status(&self, token: Option<&str>, cookie: Option<&str>) -> u16 {
        let mut request = self.client.get(self.url("/api/wallets/of?uid=wx-demo-001"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("sent").status().as_u16()
    }
}

fn id_of(team: &[(String, String, bool)], username: &str) -> String {
    team.iter()
        .find(|(name, _, _)| name == username)
        .map(|(_, id, _)| id.clone())
        .unwrap_or_else(|| panic!("{username} in {team:?}"))
}

#[tokio::test]
async fn an_added_cashier_signs_in_and_once_disabled_is_refused_by_token_and_by_cookie() {
    let app = spawn_app().await;
    let owner = app.cookie_of(OWNER.0, OWNER.1).await;
    let (status, added) = app
        .console_form(
            "/console/staff/add",
            &owner,
            &[
                ("username", "Xiaochen"),
                ("display_name", "陈收银"),
                ("role", "CASHIER"),
                ("password", "counter-2026"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(added, json!("xiaochen"));
    // The same username again is refused.
    let (again, refusal) = app
        .console_form(
            "/console/staff/add",
            &owner,
            &[
                ("username", "xiaochen"),
                ("display_name", "又一个"),
                ("role", "CASHIER"),
                ("password", "counter-2026"),
            ],
        )
        .await;
    assert_eq!((again, refusal["code"].clone()), (409, json!("CONFLICT")));

    let token = app.staff_token("xiaochen", "counter-2026").await;
    let cookie = app.cookie_of("xiaochen", "counter-2026").await;
    assert_eq!(app.wallet_status(Some(&token), None).await, 200);
    assert_eq!(app.wallet_status(None, Some(&cookie)).await, 200);
    // A cashier has no staff page.
    let (status, _) = app.console_form("/console/staff", &cookie, &[]).await;
    assert_eq!(status, 200);
    let (forbidden, _) = app
        .console_form(
            "/console/staff/active",
            &cookie,
            &[("id", "laowang"), ("active", "false")],
        )
        .await;
    assert_eq!(forbidden, 403);

    let id = id_of(&app.team(&owner).await, "xiaochen");
    let (status, _) = app
        .console_form(
            "/console/staff/active",
            &owner,
            &[("id", &id), ("active", "false")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.wallet_status(Some(&token), None).await, 401);
    assert_eq!(app.wallet_status(None, Some(&cookie)).await, 401);
    assert!(
        !app.team(&owner)
            .await
            .iter()
            .any(|(name, _, active)| name == "xiaochen" && *active)
    );

    // Enabled again with a new password: the old one no longer signs in.
    let (status, _) = app
        .console_form(
            "/console/staff/active",
            &owner,
            &[("id", &id), ("active", "true")],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .console_form(
            "/console/staff/password",
            &owner,
            &[("id", &id), ("password", "new-pass-2026")],
        )
        .await;
    assert_eq!(status, 200);
    let old = app
        .post(
            "/api/auth/staff/login",
            None,
            None,
            &json!({"username": "xiaochen", "password": "counter-2026"}),
        )
        .await;
    assert_problem(old, 401, "UNAUTHORIZED").await;
    app.staff_token("xiaochen", "new-pass-2026").await;
}

#[tokio::test]
async fn a_manager_adds_cashiers_only_and_cannot_touch_the_owner_nor_themselves() {
    let app = spawn_app().await;
    let manager = app.cookie_of(MANAGER.0, MANAGER.1).await;
    for role in ["OWNER", "MANAGER"] {
        let (status, refusal) = app
            .console_form(
                "/console/staff/add",
                &manager,
                &[
                    ("username", "boss2"),
                    ("display_name", "二老板"),
                    ("role", role),
                    ("password", "takeover-1"),
                ],
            )
            .await;
        assert_eq!(
            (status, refusal["code"].clone()),
            (403, json!("FORBIDDEN")),
            "{role}"
        );
    }
    let (status, _) = app
        .console_form(
            "/console/staff/add",
            &manager,
            &[
                ("username", "xiaoma"),
                ("display_name", "马收银"),
                ("role", "CASHIER"),
                ("password", "counter-2026"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let team = app.team(&manager).await;
    for (target, want) in [("laowang", 403), ("xiaoli", 409), ("xiaoma", 200)] {
        let (status, answer) = app
            .console_form(
                "/console/staff/active",
                &manager,
                &[("id", &id_of(&team, target)), ("active", "false")],
            )
            .await;
        assert_eq!(status, want, "{target}: {answer}");
    }
    // Weak passwords and bad usernames are refused with the field's reason.
    let (status, refusal) = app
        .console_form(
            "/console/staff/add",
            &manager,
            &[
                ("username", "x"),
                ("display_name", "短"),
                ("role", "CASHIER"),
                ("password", "counter-2026"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{refusal}");
    assert!(
        refusal["detail"]
            .as_str()
            .is_some_and(|d| d.contains("username")),
        "{refusal}"
    );
}

#[tokio::test]
async fn another_shops_owner_sees_none_of_this_shops_staff() {
    let app = spawn_app().await;
    db::merchant::upsert(&app.db, "other", "隔壁面馆", "Asia/Shanghai")
        .await
        .expect("a shop");
    let hash = app::auth::hash_password("other-owner-1").expect("hash");
    db::staff::create(
        &app.db,
        &db::staff::StaffRow {
            id: "other-boss".into(),
            merchant: "other".into(),
            username: "otherboss".into(),
            display_name: "隔壁老板".into(),
            password_hash: hash,
            role: "OWNER".into(),
            active: true,
        },
    )
    .await
    .expect("its owner");
    let other = app.cookie_of("otherboss", "other-owner-1").await;
    let team = app.team(&other).await;
    assert_eq!(
        team.iter()
            .map(|(name, _, _)| name.as_str())
            .collect::<Vec<_>>(),
        ["otherboss"]
    );
    // The demo shop's cashier is not theirs to disable or reset.
    for (path, fields) in [
        (
            "/console/staff/active",
            [("id", "xiaozhang"), ("active", "false")],
        ),
        (
            "/console/staff/password",
            [("id", "xiaozhang"), ("password", "stolen-2026")],
        ),
    ] {
        let (status, _) = app.console_form(path, &other, &fields).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(
        app.wallet_status(
            Some(&app.staff_token("xiaozhang", "cashier-demo-1").await),
            None
        )
        .await,
        200
    );
}
