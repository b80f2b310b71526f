use crate::helpers::{content_type, spawn_app};

#[tokio::test]
async fn the_home_page_is_server_rendered_with_the_database_status() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(content_type(&response).is_some_and(|v| v.starts_with("text/html")));
    let html = response.text().await.expect("body");
    assert!(html.contains("餐餐有戏"), "brand missing");
    assert!(
        html.contains(r#"href="/pkg/mealquest.css""#),
        "stylesheet link missing"
    );
    assert!(
        html.contains("mealquest.js") || html.contains("mealquest"),
        "hydration script missing"
    );
    // The status is resolved on the server, so a browser without JavaScript sees it too.
    assert!(
        html.contains(r#"data-testid="engine""#),
        "status panel not rendered"
    );
    // Which restaurants are here is for their staff only.
    assert!(!html.contains("老成都川菜馆"), "a shop shown to anyone");
    let cashier = app.staff_token("xiaozhang", "cashier-demo-1").await;
    let html = app.get_as("/", &cashier).await.text().await.expect("body");
    assert!(html.contains("老成都川菜馆"), "their own shop not rendered");
}

#[tokio::test]
async fn an_unknown_page_is_a_404_with_the_console_frame() {
    let app = spawn_app().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.expect("body");
    assert!(html.contains("页面不存在"));
}
