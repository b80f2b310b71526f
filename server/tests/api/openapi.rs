use std::collections::BTreeSet;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let app = spawn_app().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.expect("json");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|ops| ops.keys().cloned())
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let mut served: BTreeSet<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (method.to_string(), path.to_owned()))
        .collect();
    // The documented routes that are not server functions: the socket, the answer to a
    // thread (its id in the path), providers' callbacks (signed over their raw body) and
    // the Artist's pictures (by content hash).
    served.insert(("GET".into(), "/ws".into()));
    served.insert(("POST".into(), "/api/agent/resume/{thread_id}".into()));
    served.insert(("POST".into(), "/api/agent/webhook".into()));
    served.insert(("GET".into(), "/media/art/{name}".into()));
    served.insert(("POST".into(), "/api/pay/wechat/notify/{merchant}".into()));
    // The console pages' own form endpoints are not part of the public API.
    served.retain(|(_, path)| !path.starts_with("/console/"));
    assert!(!documented.is_empty());
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    let missing: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "documented but not served: {missing:?}");
}

#[tokio::test]
async fn the_api_docs_page_is_served_offline() {
    let app = spawn_app().await;
    let response = app.get("/api/docs/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("html");
    assert!(html.contains("swagger"), "Swagger UI page");
    let script = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(
        script.status(),
        200,
        "the bundle is compiled in, not fetched from a CDN"
    );
}
