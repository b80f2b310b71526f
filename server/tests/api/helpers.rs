use std::net::SocketAddr;

use server::startup::Application;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running application and a client for it.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    /// The application's own database handle, to arrange and inspect state directly.
    pub db: db::Db,
    /// The application's token keys (to mint expired tokens in tests).
    pub state_tokens: app::auth::TokenKeys,
    /// The application's real-time hub (to count its sockets).
    pub realtime: app::realtime::Hub,
    /// The application's whole state (to call the service layer as an operator would).
    pub state: app::state::AppState,
    stop: Option<oneshot::Sender<()>>,
    pub server: Option<JoinHandle<Result<(), server::startup::StartupError>>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// The `Origin` a browser sends with posts from our own pages.
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request is sent")
    }

    /// Asks the server to stop, as SIGTERM would.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

pub use crate::support::test_config;

/// Starts the application on a free port and waits until it accepts connections.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let config = test_config(extra);
    let app = Application::build(&config)
        .await
        .expect("application builds");
    let address = app.local_addr().expect("bound address");
    let db = app.state().db.clone();
    let state_tokens = app.state().tokens.clone();
    let realtime = app.state().realtime.clone();
    let state = app.state().clone();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds"),
        db,
        state_tokens,
        realtime,
        state,
        stop: Some(stop_tx),
        server: Some(server),
    }
}

/// The response's media type, if any.
pub fn content_type(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Asserts an RFC 9457 problem response with this status and stable code; returns the body.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        content_type(&response).as_deref(),
        Some("application/problem+json")
    );
    let body: serde_json::Value = response.json().await.expect("problem json");
    assert_eq!(body.get("code").and_then(|v| v.as_str()), Some(code));
    assert_eq!(
        body.get("status").and_then(|v| v.as_u64()),
        Some(u64::from(status))
    );
    body
}

impl TestApp {
    /// POSTs JSON with an optional bearer token and Idempotency-Key.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        idempotency_key: Option<&str>,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.expect("request is sent")
    }

    /// POSTs `body` as `token` with a fresh Idempotency-Key and reads the answer, which must
    /// be 200, as the wire type `R` the API documents.
    pub async fn call<R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
        body: &impl serde::Serialize,
    ) -> R {
        let body = serde_json::to_value(body).expect("a JSON body");
        let response = self.post(path, Some(token), Some(&key()), &body).await;
        answer(path, response).await
    }

    /// GETs `path` as `token` and reads the answer, which must be 200, as `R`.
    pub async fn read<R: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> R {
        answer(path, self.get_as(path, token).await).await
    }

    /// A payment order of the diner (`diner`: their token) at the demo shop, without a card:
    /// its `code`, `payment_id`, ….
    pub async fn payment_order(
        &self,
        diner: &str,
        amount: &str,
    ) -> app::api::payment::PaymentOrder {
        let body = serde_json::json!({ "merchant_id": "demo", "amount": amount, "card": null });
        self.call("/api/payment/create", diner, &body).await
    }

    /// GETs with a bearer token.
    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request is sent")
    }

    /// Logs a demo staff member in and returns the token.
    /// Posts a console form as the page's script does: its status and JSON answer.
    pub async fn console_form(
        &self,
        path: &str,
        cookie: &str,
        fields: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let response = self
            .client
            .post(self.url(path))
            .header("cookie", cookie)
            .header("origin", self.origin())
            .header("accept", "application/json")
            .form(fields)
            .send()
            .await
            .expect("sent");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn staff_token(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({ "username": username, "password": password });
        self.login("/api/auth/staff/login", &body).await
    }

    /// Posts a diner login code, whatever the answer.
    pub async fn diner_login(&self, code: &str) -> reqwest::Response {
        self.post(
            "/api/auth/diner/login",
            None,
            None,
            &serde_json::json!({ "code": code }),
        )
        .await
    }

    /// Logs a diner in through the DEV identity provider.
    pub async fn diner_token(&self, uid: &str) -> String {
        let body = serde_json::json!({ "code": format!("dev:{uid}") });
        self.login("/api/auth/diner/login", &body).await
    }

    async fn login(&self, path: &str, body: &serde_json::Value) -> String {
        let response = self.post(path, None, None, body).await;
        assert_eq!(response.status(), 200, "login with {body}");
        let session: serde_json::Value = response.json().await.expect("session");
        session
            .get("token")
            .and_then(|v| v.as_str())
            .expect("token")
            .to_owned()
    }
}

impl TestApp {
    /// A fresh ACTIVE demo card of `uid`, valid for three days.
    pub async fn active_card(&self, uid: &str) -> String {
        db::card::issue(
            &self.db,
            "demo",
            "FREE_APPETIZER",
            uid,
            chrono::Utc::now() + chrono::Duration::days(3),
        )
        .await
        .expect("card issued")
    }
}

/// A fresh Idempotency-Key.
pub fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A 200 answer read as `R` (else the test fails, showing what came instead).
async fn answer<R: serde::de::DeserializeOwned>(path: &str, response: reqwest::Response) -> R {
    let status = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err} in {text}"))
}
