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

#[tokio::test]
async fn the_sites_files_are_served_as_files_and_anything_else_is_the_not_found_page() {
    let site = tempfile::tempdir().expect("temp dir");
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).expect("pkg");
    std::fs::write(pkg.join("app.css"), "body { color: red }").expect("css");
    let bundle = b"\0asm".repeat(10_000);
    std::fs::write(pkg.join("app.wasm"), &bundle).expect("wasm");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &bundle).expect("gzipped");
    std::fs::write(pkg.join("app.wasm.gz"), gz.finish().expect("gzipped")).expect("wasm.gz");
    let mut state = server::startup::build_state(&crate::helpers::test_config(&[]))
        .await
        .expect("state builds");
    state.leptos_options.site_root = site.path().display().to_string().into();
    let router = server::startup::router(state, 1 << 20, std::time::Duration::from_secs(5));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let get = |path: &str| client.get(format!("http://{address}{path}")).send();
    let css = get("/pkg/app.css").await.expect("answer");
    assert_eq!(css.status(), 200);
    assert!(content_type(&css).is_some_and(|v| v.starts_with("text/css")));
    assert_eq!(css.text().await.expect("body"), "body { color: red }");
    // The bundle's gzipped twin goes to a browser that takes it, the bundle itself to one
    // that does not (this client would otherwise unpack it unseen).
    let raw = reqwest::Client::builder()
        .gzip(false)
        .build()
        .expect("client");
    let wasm = |encoding: &'static str| {
        raw.get(format!("http://{address}/pkg/app.wasm"))
            .header("accept-encoding", encoding)
            .send()
    };
    let packed = wasm("gzip").await.expect("answer");
    assert_eq!(packed.status(), 200);
    assert_eq!(
        packed
            .headers()
            .get("content-encoding")
            .map(|v| v.as_bytes()),
        Some(b"gzip".as_slice())
    );
    let packed = packed.bytes().await.expect("body");
    assert!(packed.len() * 10 < bundle.len(), "{} bytes", packed.len());
    let plain = wasm("identity").await.expect("answer");
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.expect("body"), bundle);
    assert_eq!(
        get("/pkg/app.wasm")
            .await
            .expect("answer")
            .bytes()
            .await
            .expect("body"),
        bundle,
        "unpacked as sent"
    );
    // A directory and a file that is not there are the app's not-found page, not a listing
    // or a redirect.
    for path in ["/pkg", "/pkg/", "/pkg/missing.js"] {
        let answer = get(path).await.expect("answer");
        assert_eq!(answer.status(), 404, "{path}");
        assert!(
            answer.text().await.expect("body").contains("页面不存在"),
            "{path}"
        );
    }
}
