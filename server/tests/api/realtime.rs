//! The real-time channel through the real router: `GET /ws` with a token or a ticket, the
//! events a change produces, who hears them, resume after a disconnect, fan-out and
//! slow clients.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::helpers::{TestApp, assert_problem, key, spawn_app, spawn_app_with};
use crate::support::socket::{
    PATIENCE, Socket, connect, is_control, next_event, next_frame, ready,
};

const CASHIER: (&str, &str) = ("xiaozhang", "cashier-demo-1");
const OWNER: &str = "wx-demo-001";
const OTHER: &str = "wx-demo-002";

impl TestApp {
    fn ws_url(&self, query: &str) -> String {
        format!("ws://{}/ws{query}", self.address)
    }

    /// Opens `/ws` with a bearer token (`after`: resume after that number).
    async fn socket(&self, token: &str, after: Option<u64>) -> Socket {
        let query = after.map(|n| format!("?after={n}")).unwrap_or_default();
        connect(&self.ws_url(&query), token).await
    }

    async fn cashier(&self) -> String {
        self.staff_token(CASHIER.0, CASHIER.1).await
    }

    async fn recharge(&self, cashier: &str, uid: &str) {
        let response = self
            .post(
                "/api/wallet/recharge",
                Some(cashier),
                Some(&key()),
                &json!({ "uid": uid, "tier": "T100" }),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn verifying_a_card_tells_its_owner_and_the_shop_and_no_other_diner() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let mut owner = app.socket(&app.diner_token(OWNER).await, None).await;
    let mut other = app.socket(&app.diner_token(OTHER).await, None).await;
    let mut shop = app.socket(&cashier, None).await;
    let owner_start = ready(&mut owner).await;
    let other_start = ready(&mut other).await;
    ready(&mut shop).await;

    let card = app.active_card(OWNER).await;
    let verified = app
        .post(
            "/api/payment/verify",
            Some(&cashier),
            Some(&key()),
            &json!({ "code": card }),
        )
        .await;
    assert_eq!(verified.status(), 200);

    let heard = next_event(&mut owner).await;
    assert_eq!(heard["type"], "CARD_REDEEMED");
    assert_eq!(heard["card"], card.as_str());
    assert_eq!(heard["uid"], OWNER);
    assert_eq!(heard["card_name"], "凉菜入席令");
    assert_eq!(heard["status"], "USED", "the card's new state");
    assert_eq!(heard["seq"].as_u64(), Some(owner_start + 1));
    let at_the_counter = next_event(&mut shop).await;
    assert_eq!(at_the_counter["type"], "CARD_REDEEMED");
    assert_eq!(at_the_counter["card"], card.as_str());

    // The other diner's next event is their own recharge: they heard nothing before it.
    app.recharge(&cashier, OTHER).await;
    let own = next_event(&mut other).await;
    assert_eq!(own["type"], "WALLET_UPDATED");
    assert_eq!(own["uid"], OTHER);
    assert_eq!(own["seq"].as_u64(), Some(other_start + 1));
    assert_eq!(own["balance"]["principal"], "100.00");
}

#[tokio::test]
async fn a_refunded_payment_tells_the_diner_and_every_till_which_payment_and_the_balance() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let diner = app.diner_token(OWNER).await;
    // Listening from before the first change: events are numbered after their commit, so a
    // socket opened later could still hear the earlier ones as new.
    let mut owner = app.socket(&diner, None).await;
    let mut till = app.socket(&cashier, None).await;
    ready(&mut owner).await;
    ready(&mut till).await;
    app.recharge(&cashier, OWNER).await;
    let order = app.payment_order(&diner, "24.00").await;
    let collected = app
        .post(
            "/api/payment/verify",
            Some(&cashier),
            Some(&key()),
            &json!({ "code": order.code }),
        )
        .await;
    assert_eq!(collected.status(), 200);
    let refunded = app
        .post(
            "/api/payment/refund",
            Some(&cashier),
            Some(&key()),
            &json!({ "payment_id": order.payment_id }),
        )
        .await;
    assert_eq!(refunded.status(), 200);

    for socket in [&mut owner, &mut till] {
        for earlier in ["WALLET_UPDATED", "PAYMENT_COLLECTED"] {
            assert_eq!(next_event(socket).await["type"], earlier);
        }
        let heard = next_event(socket).await;
        assert_eq!(heard["type"], "PAYMENT_REFUNDED");
        assert_eq!(heard["payment_id"], order.payment_id.as_str());
        assert_eq!(heard["amount"], "24.00");
        assert!(heard["card"].is_null(), "no card was used");
        assert_eq!(heard["balance"]["principal"], "100.00");
    }
}

#[tokio::test]
async fn a_client_reconnecting_with_its_last_number_gets_exactly_what_it_missed() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let diner = app.diner_token(OWNER).await;
    let mut socket = app.socket(&diner, None).await;
    let seen = ready(&mut socket).await;
    socket.close(None).await.expect("closed");

    for _ in 0..3 {
        app.recharge(&cashier, OWNER).await;
    }

    let mut socket = app.socket(&diner, Some(seen)).await;
    let mut missed = Vec::new();
    while missed.len() < 3 {
        missed.push(next_event(&mut socket).await);
    }
    let numbers: Vec<u64> = missed.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert_eq!(numbers, [seen + 1, seen + 2, seen + 3]);
    let balances: Vec<&str> = missed
        .iter()
        .filter_map(|e| e["balance"]["principal"].as_str())
        .collect();
    assert_eq!(balances, ["100.00", "200.00", "300.00"], "in order");

    // Then live ones, continuing the numbers: no duplicate of the replay.
    app.recharge(&cashier, OWNER).await;
    let live = next_event(&mut socket).await;
    assert_eq!(live["seq"].as_u64(), Some(seen + 4));
}

#[tokio::test]
async fn resuming_from_a_number_the_log_does_not_have_says_reset() {
    let app = spawn_app().await;
    let diner = app.diner_token(OWNER).await;
    let mut socket = app.socket(&diner, Some(999)).await;
    let frame = next_frame(&mut socket).await;
    assert_eq!(frame["type"], "RESET");
    let seq = frame["seq"].as_u64().expect("seq");
    assert_eq!(ready(&mut socket).await, seq);
}

#[tokio::test]
async fn a_browser_opens_the_socket_with_a_ticket_and_bad_credentials_are_refused() {
    let app = spawn_app().await;
    let diner = app.diner_token(OWNER).await;
    let response = app
        .post("/api/realtime/ticket", Some(&diner), None, &json!({}))
        .await;
    assert_eq!(response.status(), 200);
    let ticket: Value = response.json().await.expect("ticket");
    let ticket = ticket["ticket"].as_str().expect("ticket").to_owned();
    let (mut socket, _) =
        tokio_tungstenite::connect_async(app.ws_url(&format!("?ticket={ticket}")))
            .await
            .expect("opens with a ticket");
    ready(&mut socket).await;

    // Without credentials, or with a token where a ticket belongs: 401 before any upgrade.
    for query in ["", &format!("?ticket={diner}")] {
        let refused = app
            .client
            .get(app.url(&format!("/ws{query}")))
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
            .await
            .expect("sent");
        assert_problem(refused, 401, "UNAUTHORIZED").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sockets_all_receive_a_broadcast() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let mut sockets = Vec::new();
    for _ in 0..1000 {
        sockets.push(app.socket(&cashier, None).await);
    }
    for socket in &mut sockets {
        ready(socket).await;
    }
    assert_eq!(app.realtime.subscribers(), 1000);

    app.recharge(&cashier, OWNER).await;
    let heard = futures::future::join_all(sockets.iter_mut().map(next_event)).await;
    assert!(
        heard
            .iter()
            .all(|e| e["type"] == "WALLET_UPDATED" && e["uid"] == OWNER),
        "every socket heard the recharge"
    );
    let first = heard.first().map(|e| e["seq"].clone());
    assert!(heard.iter().all(|e| Some(&e["seq"]) == first.as_ref()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_and_does_not_hold_up_others() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let mut reader = app.socket(&cashier, None).await;
    let start = ready(&mut reader).await;
    let mut stalled = stalled_socket(&app, &cashier).await;

    // 4 KB frames, 8 MB in all: more than the kernel buffers between the two ends hold.
    const EVENTS: u64 = 2000;
    let padding = "x".repeat(4096);
    let news: Vec<db::events::NewEvent> = (0..EVENTS)
        .map(|n| db::events::NewEvent {
            recipients: vec!["merchant:demo".into()],
            kind: "ASSET_CHANGED".into(),
            payload: json!({ "type": "ASSET_CHANGED", "merchant_id": "demo",
                             "uid": OWNER, "txn_id": format!("t{n}-{padding}") }),
        })
        .collect();
    for chunk in news.chunks(200) {
        db::events::publish(&app.db, chunk)
            .await
            .expect("published");
    }

    // The reader follows the protocol: should it fall behind too (a loaded test machine),
    // it is dropped too, reconnects with its last number and loses nothing.
    let mut last = start;
    while last < start + EVENTS {
        match next_event_or_end(&mut reader).await {
            Some(event) => {
                assert_eq!(event["seq"].as_u64(), Some(last + 1), "in order, none lost");
                last += 1;
            }
            None => reader = app.socket(&cashier, Some(last)).await,
        }
    }
    // The stalled client was dropped from the hub; reading now, it finds a close for being
    // too slow (or a reset connection) before the end of the events.
    assert_eq!(app.realtime.subscribers(), 1);
    let mut received = 0_u64;
    let ending = loop {
        match tokio::time::timeout(PATIENCE, stalled.next()).await {
            Ok(Some(Ok(Message::Text(_)))) => received += 1,
            Ok(Some(Ok(Message::Close(frame)))) => break frame.map(|f| f.code),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(WsError::Protocol(_) | WsError::Io(_)))) | Ok(None) => break None,
            Ok(Some(Err(err))) => panic!("unexpected socket error: {err}"),
            Err(_) => panic!("the stalled socket was never closed"),
        }
    };
    assert!(received < EVENTS, "it did not get everything");
    if let Some(code) = ending {
        assert_eq!(code, CloseCode::from(4008));
    }
}

/// The next event, or `None` once the server closed the socket.
async fn next_event_or_end(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a frame in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text).expect("json frame");
                if !is_control(&frame) {
                    return Some(frame);
                }
            }
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// A socket whose client reads READY and then nothing, with a tiny receive buffer so the
/// server's frames back up quickly.
async fn stalled_socket(app: &TestApp, token: &str) -> Socket {
    let tcp = tokio::net::TcpSocket::new_v4().expect("socket");
    tcp.set_recv_buffer_size(4096).expect("small buffer");
    let stream = tcp.connect(app.address).await.expect("connects");
    let mut request = app.ws_url("").into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
        .await
        .expect("socket opens");
    ready(&mut socket).await;
    socket
}

#[tokio::test]
async fn sockets_are_closed_with_going_away_when_the_server_stops() {
    let mut app = spawn_app().await;
    let mut socket = app.socket(&app.diner_token(OWNER).await, None).await;
    ready(&mut socket).await;
    app.stop();
    let close = loop {
        match tokio::time::timeout(PATIENCE, socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Away));
    let server = app.server.take().expect("server task");
    let stopped = tokio::time::timeout(PATIENCE, server).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the server stopped cleanly"
    );
}

#[tokio::test]
async fn the_server_pings_and_closes_a_client_that_stops_answering() {
    let app = spawn_app_with(&[("MEALQUEST_REALTIME__HEARTBEAT_SECS", "1")]).await;
    let diner = app.diner_token(OWNER).await;
    let mut lively = app.socket(&diner, None).await;
    let mut silent = app.socket(&diner, None).await;
    ready(&mut lively).await;
    ready(&mut silent).await;

    // The client library answers pings while it reads; `silent` reads nothing for a while.
    let mut pings = 0;
    let reading = tokio::time::timeout(Duration::from_millis(3500), async {
        while let Some(Ok(message)) = lively.next().await {
            if message.is_ping() {
                pings += 1;
            }
        }
    })
    .await;
    assert!(reading.is_err(), "the answering client is still connected");
    assert!(pings >= 2, "pinged every second: {pings}");

    let close = loop {
        match tokio::time::timeout(PATIENCE, silent.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::from(4009)));
}

#[tokio::test]
async fn an_event_the_server_cannot_read_is_skipped_not_a_reconnect_loop() {
    let app = spawn_app().await;
    let diner = app.diner_token(OWNER).await;
    let mut socket = app.socket(&diner, None).await;
    let start = ready(&mut socket).await;
    socket.close(None).await.expect("closed");
    let recipient = format!("diner:{OWNER}");
    let broken = db::events::NewEvent {
        recipients: vec![recipient.clone()],
        kind: "NOT_AN_EVENT".into(),
        payload: json!({ "type": "NOT_AN_EVENT" }),
    };
    db::events::publish(&app.db, &[broken])
        .await
        .expect("published");
    app.recharge(&app.cashier().await, OWNER).await;

    // Replayed: the broken one is skipped, the recharge arrives, the socket stays open.
    let mut socket = app.socket(&diner, Some(start)).await;
    let next = next_event(&mut socket).await;
    assert_eq!(next["type"], "WALLET_UPDATED");
    assert_eq!(next["seq"].as_u64(), Some(start + 2));
}

#[tokio::test]
async fn a_gap_found_while_replaying_is_reported_as_reset() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let diner = app.diner_token(OTHER).await;
    let mut socket = app.socket(&diner, None).await;
    let start = ready(&mut socket).await;
    for _ in 0..3 {
        app.recharge(&cashier, OTHER).await;
        next_event(&mut socket).await;
    }
    socket.close(None).await.expect("closed");
    // The middle one goes, as if the purge ran between the socket's check and its read.
    app.db
        .query("DELETE type::record('event', [$recipient, $seq])")
        .bind(("recipient", format!("diner:{OTHER}")))
        .bind(("seq", i64::try_from(start + 2).expect("small")))
        .await
        .expect("deleted");

    let mut socket = app.socket(&diner, Some(start)).await;
    let first = next_frame(&mut socket).await;
    assert_eq!(first["seq"].as_u64(), Some(start + 1));
    let reset = next_frame(&mut socket).await;
    assert_eq!(reset["type"], "RESET", "{reset}");
    assert_eq!(reset["seq"].as_u64(), Some(start + 2));
    let after_gap = next_frame(&mut socket).await;
    assert_eq!(after_gap["seq"].as_u64(), Some(start + 3));
}

#[tokio::test]
async fn a_hole_in_the_log_resets_the_sockets_it_concerns_and_the_others_keep_flowing() {
    let app = spawn_app().await;
    let cashier = app.cashier().await;
    let (owner, other) = (app.diner_token(OWNER).await, app.diner_token(OTHER).await);
    let mut holed = app.socket(&owner, None).await;
    let start = ready(&mut holed).await;
    let mut flowing = app.socket(&other, None).await;
    ready(&mut flowing).await;
    // A number given out whose event never reaches the log (as if purged before anyone had
    // it): the owner's next event comes after a hole.
    app.db
        .query("UPSERT type::record('event_seq', $recipient) SET n += 1")
        .bind(("recipient", format!("diner:{OWNER}")))
        .await
        .expect("a number skipped");
    app.recharge(&cashier, OWNER).await;

    let reset = next_frame(&mut holed).await;
    assert_eq!(reset["type"], "RESET", "{reset}");
    assert_eq!(reset["seq"].as_u64(), Some(start + 1));
    let after_hole = next_event(&mut holed).await;
    assert_eq!(after_hole["seq"].as_u64(), Some(start + 2));
    // The stream goes on after the hole, and the other diner's was never held up.
    app.recharge(&cashier, OWNER).await;
    assert_eq!(
        next_event(&mut holed).await["seq"].as_u64(),
        Some(start + 3)
    );
    app.recharge(&cashier, OTHER).await;
    assert_eq!(next_event(&mut flowing).await["type"], "WALLET_UPDATED");
}

#[tokio::test]
async fn a_workflows_progress_reaches_the_owner_and_not_the_cashier_whose_numbers_skip_it() {
    let app = spawn_app().await;
    let owner = app.staff_token("laowang", "owner-demo-1").await;
    let cashier = app.cashier().await;
    let mut owner_socket = app.socket(&owner, None).await;
    let mut cashier_socket = app.socket(&cashier, None).await;
    let start = ready(&mut owner_socket).await;
    assert_eq!(
        ready(&mut cashier_socket).await,
        start,
        "one log: the shop's"
    );
    let progress = app::model::realtime::Event::WorkflowProgress {
        merchant_id: "demo".into(),
        thread_id: "t1".into(),
        workflow: "strategist".into(),
        node: "propose".into(),
        step: 3,
        status: "WAITING".into(),
    };
    db::events::publish(&app.db, &[progress.publication().expect("publication")])
        .await
        .expect("published");
    app.recharge(&cashier, OWNER).await;

    let heard = next_event(&mut owner_socket).await;
    assert_eq!(heard["type"], "WORKFLOW_PROGRESS");
    assert_eq!(heard["seq"].as_u64(), Some(start + 1));
    assert_eq!(
        next_event(&mut owner_socket).await["type"],
        "WALLET_UPDATED"
    );
    let first = next_event(&mut cashier_socket).await;
    assert_eq!(first["type"], "WALLET_UPDATED", "{first}");
    assert_eq!(first["seq"].as_u64(), Some(start + 2));

    // Replayed after a reconnect, the same: the cashier's socket skips it.
    let mut again = app.socket(&cashier, Some(start)).await;
    let replayed = next_event(&mut again).await;
    assert_eq!(replayed["type"], "WALLET_UPDATED", "{replayed}");
    // And the counter's feed leaves it out for a cashier, not for the owner.
    let at_counter = |role| app::auth::Principal::Staff {
        staff_id: "s".into(),
        merchant_id: "demo".into(),
        role,
    };
    let feed = |role| {
        let state = app.state.clone();
        async move {
            app::service::feed::today_at(&state, "demo", &at_counter(role), chrono::Utc::now(), 100)
                .await
                .expect("feed")
                .frames
                .iter()
                .any(|frame| {
                    matches!(
                        frame.event,
                        app::model::realtime::Event::WorkflowProgress { .. }
                    )
                })
        }
    };
    assert!(feed(app::auth::Role::Owner).await);
    assert!(!feed(app::auth::Role::Cashier).await);
}

#[tokio::test]
async fn a_recharge_moves_todays_figures_on_the_owners_socket_and_never_the_cashiers() {
    let app = spawn_app_with(&[("MEALQUEST_FIGURES__EVERY_MILLIS", "100")]).await;
    let owner = app.staff_token("laowang", "owner-demo-1").await;
    let cashier = app.cashier().await;
    // The demo's own history is rolled up first (its first round): what it shows now.
    let before = app::service::figures::refresh(&app.state, "demo", chrono::Utc::now())
        .await
        .expect("figures");
    let mut owner_socket = app.socket(&owner, None).await;
    let mut cashier_socket = app.socket(&cashier, None).await;
    ready(&mut owner_socket).await;
    ready(&mut cashier_socket).await;

    app.recharge(&cashier, OWNER).await;
    // The worker's first round may tell of the figures as they were: the news of the
    // recharge is the one that counts it.
    let figures = loop {
        let heard = next_event(&mut owner_socket).await;
        if heard["type"] != "FIGURES_UPDATED" {
            assert_eq!(heard["type"], "WALLET_UPDATED", "{heard}");
            continue;
        }
        let figures: app::model::figures::DayFigures =
            serde_json::from_value(heard["figures"].clone()).expect("figures");
        if figures.recharges > before.recharges {
            break figures;
        }
    };
    assert_eq!(figures.recharges, before.recharges + 1);
    assert_eq!(
        figures.sold,
        before
            .sold
            .checked_add(app::domain::Money::yuan(100, 0))
            .expect("sum")
    );
    assert_eq!(
        figures.liability.principal,
        before
            .liability
            .principal
            .checked_add(app::domain::Money::yuan(100, 0))
            .expect("sum")
    );

    // The cashier hears the recharges, never the figures.
    assert_eq!(
        next_event(&mut cashier_socket).await["type"],
        "WALLET_UPDATED"
    );
    app.recharge(&cashier, OTHER).await;
    let next = next_event(&mut cashier_socket).await;
    assert_eq!(next["type"], "WALLET_UPDATED", "{next}");
}
