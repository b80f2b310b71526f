//! Load benchmark of the money core on the embedded engine (SurrealKV in a temp dir):
//! verify (card redeem) and synthesize, through the whole API (HTTP, JWT, Idempotency-Key,
//! service layer) and, beside it, the raw SurrealDB rate of the same transaction.
//!
//! `cargo bench -p server --bench money` (or `make bench`); figures go to docs/benchmarks.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use db::Outcome;
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use rust_decimal::Decimal;
use server::startup::Application;

const OPS: usize = 2000;
/// How many times each of the trigger's rows runs (its median is reported).
const TRIGGER_RUNS: usize = 5;
const MERCHANT: &str = "demo";

struct Run {
    label: String,
    clients: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    errors: usize,
    /// Triggers and events still queued when the row's last operation answered, and how long
    /// the workers took to clear them: the row waits for them so the next row does not pay
    /// for this one's backlog.
    backlog: u64,
    drained: Duration,
}

impl Run {
    /// Operations answered per second.
    fn rate(&self) -> f64 {
        f64::from(u32::try_from(self.latencies.len()).unwrap_or(u32::MAX))
            / self.elapsed.as_secs_f64()
    }

    fn row(&self) -> String {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let pick = |percent: usize| {
            let index = sorted.len().saturating_sub(1) * percent / 100;
            sorted.get(index).copied().unwrap_or_default()
        };
        let rate = self.rate();
        format!(
            "| {} | {} | {:.0}/s | {:.2} ms | {:.2} ms | {} | {} in {:.1} s |",
            self.label,
            self.clients,
            rate,
            pick(50).as_secs_f64() * 1e3,
            pick(99).as_secs_f64() * 1e3,
            self.errors,
            self.backlog,
            self.drained.as_secs_f64()
        )
    }
}

/// The run of median throughput among `runs`, labelled with how many there were.
fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
    let count = runs.len();
    let mut middle = runs.swap_remove(count / 2);
    middle.label = format!("{} (median of {count})", middle.label);
    middle
}

/// How the verify's raw transaction carries the rule engine's trigger.
#[derive(Clone, Copy)]
enum Trigger {
    None,
    /// As the service makes it where nothing listens to redemptions: not written.
    Unheard,
    /// Queued for the decider, as when a campaign listens.
    Queued,
}

impl Trigger {
    fn index(self) -> usize {
        match self {
            Self::None => 0,
            Self::Unheard => 1,
            Self::Queued => 2,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::None => "verify: raw transaction + its answer and events, no trigger",
            Self::Unheard => "verify: the same + its trigger, nothing listening (not written)",
            Self::Queued => "verify: the same + its trigger queued (a campaign listening)",
        }
    }
}

/// Items waiting in the queues the workers drain after a write (events, triggers).
async fn queued(db: &db::Db) -> u64 {
    let mut total = 0;
    for queue in [db::queue::EVENTS, db::rules::TRIGGERS] {
        total += db::queue::figures(db, queue)
            .await
            .expect("figures")
            .pending;
    }
    total
}

/// Runs `op(i)` for i in 0..OPS with `clients` concurrent workers, then waits until the
/// queues it filled are drained.
async fn drive<F, Fut>(db: &db::Db, label: &str, clients: usize, op: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (op, next) = (Arc::clone(&op), Arc::clone(&next));
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= OPS {
                        break;
                    }
                    let t = Instant::now();
                    if op(i).await {
                        latencies.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for worker in workers {
        let (l, e) = worker.await.expect("worker");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    let settling = Instant::now();
    let backlog = queued(db).await;
    while queued(db).await > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Run {
        label: label.to_owned(),
        clients,
        elapsed,
        latencies,
        errors,
        backlog,
        drained: settling.elapsed(),
    }
}

/// The ledger entry of a redeem, as the raw rows write it.
fn redeem_entry() -> NewLedgerEntry {
    NewLedgerEntry::new(
        LedgerType::Redeem,
        Decimal::ONE,
        MERCHANT,
        "bench",
        AssetsChange::default(),
    )
}

/// A verify with a fresh Idempotency-Key, as the cashier would send it.
fn verify_request() -> db::idempotency::Request {
    db::idempotency::Request {
        scope: "staff:xiaozhang|payment/verify".into(),
        key: uuid::Uuid::new_v4().to_string(),
        request_hash: "bench".into(),
    }
}

async fn issue_cards(db: &db::Db, n: usize) -> Arc<Vec<String>> {
    let mut cards = Vec::with_capacity(n);
    for i in 0..n {
        let uid = format!("bench-{}", i % 200);
        let card = db::card::issue(
            db,
            MERCHANT,
            "FREE_APPETIZER",
            &uid,
            Utc::now() + chrono::Duration::days(30),
        )
        .await
        .expect("card");
        cards.push(card);
    }
    Arc::new(cards)
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: serde_json::Value,
) -> String {
    let session: serde_json::Value = client
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("session");
    session
        .get("token")
        .and_then(|t| t.as_str())
        .expect("token")
        .to_owned()
}

/// One synthesis straight through `db`, retried after conflicts with the service layer's
/// backoff; false if it failed.
async fn raw_synthesize(db: &db::Db, kind: &db::catalog::CardTypeRow, uid: &str) -> bool {
    let value = db::card::CardValue::from(kind);
    app::service::with_retries(|| async {
        let seen = db::assets::stock(db, MERCHANT, "FREE_APPETIZER")
            .await?
            .ok_or_else(|| app::error::AppError::Internal("no stock".into()))?;
        let next = db::assets::StockRow {
            current_stock: seen.current_stock - 1,
            ..seen.clone()
        };
        let card = uuid::Uuid::new_v4().to_string();
        let entry = NewLedgerEntry::new(
            LedgerType::Synthesize,
            Decimal::ZERO,
            MERCHANT,
            uid,
            AssetsChange::default(),
        );
        let synthesis = db::assets::Synthesis {
            merchant: MERCHANT,
            uid,
            card_type: "FREE_APPETIZER",
            recipe: &kind.recipe,
            stock_seen: &seen,
            stock_next: &next,
            card_uuid: &card,
            expiry: Utc::now() + chrono::Duration::days(30),
            value: &value,
            entry: &entry,
            outcome: &Outcome::none(),
        };
        Ok(db::assets::synthesize(db, &synthesis).await?)
    })
    .await
    .is_ok()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let vars = [
        (
            "MEALQUEST_DATABASE__URL",
            format!("surrealkv://{}/db", dir.path().display()),
        ),
        ("MEALQUEST_SERVER__PORT", "0".to_owned()),
        ("MEALQUEST_LOG__FILTER", "error".to_owned()),
        ("MEALQUEST_ARTIST__MEDIA", "memory://".to_owned()),
        // The write path alone: the figures worker's rounds (they read the day's ledger)
        // are measured by the dashboard bench.
        ("MEALQUEST_FIGURES__EVERY_MILLIS", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = server::config::AppConfig::load_from(&config_dir, &vars).expect("config");
    let app = Application::build(&config).await.expect("app");
    let state = app.state().clone();
    let db = state.db.clone();
    let base = format!("http://{}", app.local_addr().expect("addr"));
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");

    // A card type with room for the whole run, and diners with fragments to synthesize it.
    let mut kind = db::catalog::card_type(&db, MERCHANT, "FREE_APPETIZER")
        .await
        .expect("read")
        .expect("type");
    kind.recipe = vec![db::catalog::RecipeItem {
        fragment: "CHILI".into(),
        count: 1,
    }];
    let seen = db::assets::stock(&db, MERCHANT, "FREE_APPETIZER")
        .await
        .expect("stock");
    let roomy = db::assets::StockRow {
        daily_cap: 1_000_000,
        current_stock: 1_000_000,
        reset_day: "1970-01-01".into(),
    };
    db::catalog::save_card_type(&db, MERCHANT, &kind, seen.as_ref(), &roomy)
        .await
        .expect("type");
    let kind = Arc::new(kind);
    for d in 0..200 {
        let uid = format!("bench-{d}");
        db::diner::ensure(&db, &uid, None, None)
            .await
            .expect("diner");
        let entry = NewLedgerEntry::new(
            LedgerType::Reward,
            Decimal::ZERO,
            MERCHANT,
            &uid,
            AssetsChange::default(),
        );
        db::assets::reward_silver(&db, &uid, 1_000_000, &entry)
            .await
            .expect("silver");
        app::service::assets::trade(
            &state,
            MERCHANT,
            &uid,
            "CHILI",
            app::api::assets::TradeSide::Buy,
            999,
            None,
        )
        .await
        .expect("fragments");
    }
    let cashier = login(
        &client,
        &base,
        "/api/auth/staff/login",
        serde_json::json!({"username":"xiaozhang","password":"cashier-demo-1"}),
    )
    .await;
    let mut diners = Vec::new();
    for d in 0..200 {
        diners.push(
            login(
                &client,
                &base,
                "/api/auth/diner/login",
                serde_json::json!({"code": format!("dev:bench-{d}")}),
            )
            .await,
        );
    }
    let diners = Arc::new(diners);

    let (mut rows, mut costs) = (Vec::new(), Vec::new());
    for clients in [50, 200] {
        // Raw: the redeem transaction alone (db::card::redeem), distinct cards.
        let cards = issue_cards(&db, OPS).await;
        let (raw_db, raw_cards) = (db.clone(), Arc::clone(&cards));
        rows.push(
            drive(
                &db,
                "verify: raw SurrealDB transaction",
                clients,
                move |i| {
                    let (db, cards) = (raw_db.clone(), Arc::clone(&raw_cards));
                    async move {
                        let card = cards.get(i).expect("card");
                        let entry = redeem_entry();
                        db::card::redeem(&db, card, Some("xiaozhang"), &entry, &Outcome::none())
                            .await
                            .is_ok()
                    }
                },
            )
            .await,
        );
        // Raw, with the idempotency answer and the events the API stores in the same
        // transaction: the identical transaction the API commits, called directly — without
        // the rule engine's trigger, with it as the service makes it (the demo shop has no
        // campaign for redemptions, so nothing is written), and with it queued as when a
        // campaign listens: what writing the trigger costs.
        // Runs of one build differ by a third on these rows, so each runs five times, in
        // turn, and the medians are compared.
        let mut trio: [Vec<Run>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for trigger in [Trigger::None, Trigger::Unheard, Trigger::Queued].repeat(TRIGGER_RUNS) {
            let cards = issue_cards(&db, OPS).await;
            let (raw_state, raw_cards) = (state.clone(), Arc::clone(&cards));
            let run = drive(&db, trigger.label(), clients, move |i| {
                let (state, cards) = (raw_state.clone(), Arc::clone(&raw_cards));
                async move {
                    let card = cards.get(i).expect("card");
                    let entry = redeem_entry();
                    let body = serde_json::json!({
                        "kind": "CARD_REDEEMED", "txn_id": entry.txn_id, "card": card,
                        "card_name": "凉菜入席令", "benefit": "免费凉菜一份（抵18元）",
                        "owner": "bench"
                    });
                    let news = app::api::realtime::Event::CardRedeemed {
                        merchant_id: MERCHANT.into(),
                        uid: "bench".into(),
                        txn_id: entry.txn_id.clone(),
                        card: card.clone(),
                        card_name: "凉菜入席令".into(),
                        status: app::domain::CardStatus::Used,
                    };
                    let fact = app::domain::events::DomainEvent::CardRedeemed {
                        party: app::domain::events::Party {
                            merchant_id: MERCHANT.into(),
                            uid: "bench".into(),
                            txn_id: entry.txn_id.clone(),
                        },
                        card: card.clone(),
                        card_name: "凉菜入席令".into(),
                    };
                    let made = app::service::rules::trigger_of(&fact, Utc::now());
                    let triggers = match trigger {
                        Trigger::None => Vec::new(),
                        // As the service does: written only if something may answer it.
                        Trigger::Unheard => {
                            app::service::rules::heard(&state, made.into_iter().collect())
                                .await
                                .expect("heard")
                        }
                        Trigger::Queued => made
                            .into_iter()
                            .map(|made| db::rules::NewTrigger {
                                merchant: MERCHANT.into(),
                                trigger: serde_json::to_value(made).expect("trigger"),
                            })
                            .collect(),
                    };
                    let outcome = Outcome {
                        answer: Some(verify_request().answer(200, body.to_string())),
                        events: vec![news.publication().expect("event")],
                        triggers,
                    };
                    db::card::redeem(&state.db, card, Some("xiaozhang"), &entry, &outcome)
                        .await
                        .is_ok()
                }
            })
            .await;
            if let Some(runs) = trio.get_mut(trigger.index()) {
                runs.push(run);
            }
        }
        let [without, unheard, queued] = trio.map(median);
        rows.extend([without, unheard, queued]);
        // The service layer without HTTP: what `payment/verify` runs after auth, with the
        // idempotency answer stored in the same transaction (tells HTTP's share apart).
        let cards = issue_cards(&db, OPS).await;
        let (svc_state, svc_cards) = (state.clone(), Arc::clone(&cards));
        rows.push(
            drive(&db, "verify: service layer, no HTTP", clients, move |i| {
                let (state, cards) = (svc_state.clone(), Arc::clone(&svc_cards));
                async move {
                    let card = cards.get(i).expect("card");
                    let counter = app::service::payment::Counter {
                        merchant: MERCHANT,
                        staff: "xiaozhang",
                    };
                    let once = verify_request();
                    app::service::payment::scan(&state, counter, card, Utc::now(), Some(once))
                        .await
                        .is_ok()
                }
            })
            .await,
        );
        // API: POST /api/payment/verify with a cashier token and an Idempotency-Key.
        let cards = issue_cards(&db, OPS).await;
        let (http, url, token) = (
            client.clone(),
            format!("{base}/api/payment/verify"),
            cashier.clone(),
        );
        rows.push(
            drive(&db, "verify: POST /api/payment/verify", clients, move |i| {
                let (http, url, token, cards) =
                    (http.clone(), url.clone(), token.clone(), Arc::clone(&cards));
                async move {
                    let card = cards.get(i).expect("card");
                    http.post(&url)
                        .bearer_auth(&token)
                        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                        .json(&serde_json::json!({ "code": card }))
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 200)
                }
            })
            .await,
        );
        if let [.., without, unheard, queued, _service, api] = rows.as_slice() {
            let per_op = |run: &Run| 1e3 / run.rate();
            for (case, with) in [("nothing listens", unheard), ("a campaign listens", queued)] {
                let added = per_op(with) - per_op(without);
                costs.push(format!(
                    "{clients} clients, {case}: the trigger adds {added:.3} ms per verify, \
                     {:.1} % of the API's {:.3} ms",
                    added / per_op(api) * 100.0,
                    per_op(api)
                ));
            }
        }
        // Raw: the synthesize transaction alone (db::assets::synthesize) on the same hot
        // stock record, re-reading the stock after a conflict as the service does.
        let (raw_db, raw_kind) = (db.clone(), Arc::clone(&kind));
        rows.push(
            drive(
                &db,
                "synthesize: raw SurrealDB transaction",
                clients,
                move |i| {
                    let (db, kind) = (raw_db.clone(), Arc::clone(&raw_kind));
                    async move { raw_synthesize(&db, &kind, &format!("bench-{}", i % 200)).await }
                },
            )
            .await,
        );
        // API: POST /api/assets/synthesize, 200 diners, one shared daily stock record.
        let (http, url, tokens) = (
            client.clone(),
            format!("{base}/api/assets/synthesize"),
            Arc::clone(&diners),
        );
        rows.push(
            drive(&db, "synthesize: POST /api/assets/synthesize", clients, move |i| {
                let (http, url, tokens) = (http.clone(), url.clone(), Arc::clone(&tokens));
                async move {
                    let token = tokens.get(i % tokens.len()).expect("token");
                    http.post(&url)
                        .bearer_auth(token)
                        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                        .json(&serde_json::json!({ "merchant_id": MERCHANT, "card_type": "FREE_APPETIZER" }))
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 200)
                }
            })
            .await,
        );
    }
    println!("{OPS} operations per row, embedded SurrealKV (fsync on commit), release build\n");
    println!(
        "| operation | clients | throughput | p50 | p99 | errors | queued after, drained in |"
    );
    println!("|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{}", row.row());
    }
    println!();
    for cost in costs {
        println!("{cost}");
    }
}
