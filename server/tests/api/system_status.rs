use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_status_server_function_answers_from_the_database() {
    let app = spawn_app().await;
    let response = app.get("/api/system/status").await;
    assert_eq!(response.status(), 200);
    let status: app::api::system::SystemStatus = response.json().await.expect("status json");
    assert_eq!(status.engine, "memory");
    assert_eq!(status.schema_version, db::migrations::latest_version());
    assert!(status.is_healthy());
    assert_eq!(status.merchants, vec!["老成都川菜馆".to_owned()]);
}

#[tokio::test]
async fn without_demo_data_there_are_no_merchants() {
    let app = spawn_app_with(&[("MEALQUEST_DEMO__SEED", "false")]).await;
    let status: app::api::system::SystemStatus = app
        .get("/api/system/status")
        .await
        .json()
        .await
        .expect("status json");
    assert!(status.merchants.is_empty());
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
