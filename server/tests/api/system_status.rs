use crate::helpers::{assert_problem, spawn_app};

async fn status_as(
    app: &crate::helpers::TestApp,
    token: Option<&str>,
) -> app::api::system::SystemStatus {
    let response = match token {
        Some(token) => app.get_as("/api/system/status", token).await,
        None => app.get("/api/system/status").await,
    };
    assert_eq!(response.status(), 200);
    response.json().await.expect("status json")
}

#[tokio::test]
async fn anyone_gets_the_probes_but_no_restaurant() {
    let app = spawn_app().await;
    let status = status_as(&app, None).await;
    assert_eq!(status.engine, "memory");
    assert_eq!(status.schema_version, db::migrations::latest_version());
    assert!(status.is_healthy());
    assert_eq!(status.shop, None, "nobody learns which shops are here");
    // A diner is not told either, nor is a caller with a token that does not verify.
    let diner = app.diner_token("wx-demo-001").await;
    assert_eq!(status_as(&app, Some(&diner)).await.shop, None);
    assert_eq!(status_as(&app, Some("not-a-token")).await.shop, None);
}

#[tokio::test]
async fn staff_see_their_own_shop_and_no_other() {
    let app = spawn_app().await;
    db::merchant::upsert(&app.db, "other", "隔壁火锅店", "Asia/Shanghai")
        .await
        .expect("another shop");
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let status = status_as(&app, Some(&cashier)).await;
    assert_eq!(status.shop.as_deref(), Some("老成都川菜馆"));
    let body = app
        .get_as("/api/system/status", &cashier)
        .await
        .text()
        .await
        .expect("body");
    assert!(!body.contains("隔壁火锅店"), "{body}");
}

#[tokio::test]
async fn a_database_fault_is_a_500_internal_problem_without_internals() {
    let app = spawn_app().await;
    // Corrupt what the status reads: a schema version that is not a number. The database
    // answered; what it holds is wrong — our fault, not an outage.
    app.db
        .query("REMOVE TABLE _migration")
        .await
        .expect("remove");
    app.db
        .query("DEFINE TABLE _migration SCHEMAFULL; DEFINE FIELD version ON _migration TYPE string; CREATE _migration:x SET version = 'not a number'")
        .await
        .expect("redefine");
    let response = app.get("/api/system/status").await;
    let body = assert_problem(response, 500, "INTERNAL").await;
    let problem: app::error::Problem = serde_json::from_value(body).expect("a Problem");
    assert!(
        !problem.detail.contains("_migration"),
        "internals leaked: {}",
        problem.detail
    );
}
