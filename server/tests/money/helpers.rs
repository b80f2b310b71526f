use app::domain::{Balance, Money};
use app::service::wallet::Scope;
use app::state::AppState;
use db::Db;
use db::ledger::{AssetsChange, LedgerType, NewLedgerEntry};
use rust_decimal::Decimal;

/// The payment rules of the default configuration (10-minute codes, 5 open per diner).
pub const RULES: app::service::payment::PaymentRules = app::service::payment::PaymentRules {
    code_ttl: chrono::Duration::minutes(10),
    max_open_per_diner: 5,
};

pub const MERCHANT: &str = "demo";

/// The demo shop's till.
pub const TILL: app::service::payment::Counter<'static> = app::service::payment::Counter {
    merchant: MERCHANT,
    staff: "cashier-1",
};

/// `uid` pays `amount` with `card` at the till: the payment code is made and scanned at
/// `now`; returns the payment's id, what the card took off and how the rest was split.
pub async fn pay_with_card(
    state: &AppState,
    uid: &str,
    amount: &str,
    card: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, Money, app::domain::PaymentSplit) {
    use app::service::payment;
    let order = payment::create_payment(
        state,
        MERCHANT,
        uid,
        m(amount),
        Some(card),
        now,
        None,
        RULES,
    )
    .await
    .expect("create");
    match payment::scan(state, TILL, &order.code, now, None)
        .await
        .expect("collect")
    {
        app::api::payment::ScanResult::PaymentCollected {
            deduction, split, ..
        } => (order.payment_id, deduction, split),
        other => panic!("expected a collection, got {other:?}"),
    }
}

/// The diner these tests' wallets belong to (recharges and refunds need a diner who exists).
pub const DINER: &str = "d1";

/// The state of a fresh, migrated, seeded in-memory database (its own datastore per test),
/// with the test diner `DINER`: the services take it as the server functions pass it.
pub async fn seeded_state() -> AppState {
    seeded_state_at("mem://").await
}

/// The same on disk (SurrealKV in a temporary directory, removed when the guard drops).
pub async fn seeded_disk_state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = seeded_state_at(&format!("surrealkv://{}/db", dir.path().display())).await;
    (state, dir)
}

/// A process's state over the store at `url` as it is (nothing seeded), once the previous
/// process has let go of it.
pub async fn state_at(url: &str) -> AppState {
    state_with(url, &[]).await
}

/// [`state_at`] with more configuration (`MEALQUEST_*` overrides).
pub async fn state_with(url: &str, extra: &[(&str, &str)]) -> AppState {
    let mut overrides = vec![
        ("MEALQUEST_DATABASE__URL", url),
        // The catalogue alone: no demo staff or cards in these tests' books.
        ("MEALQUEST_DEMO__SEED", "false"),
    ];
    // A store on disk is the test's own: one database in it, found again after a restart.
    if !url.starts_with("mem://") {
        overrides.push(("MEALQUEST_DATABASE__DATABASE", "books"));
    }
    overrides.extend_from_slice(extra);
    let config = crate::support::test_config(&overrides);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match server::startup::build_state(&config).await {
            Ok(state) => return state,
            Err(err)
                if std::time::Instant::now() < deadline && err.to_string().contains("locked") =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(err) => panic!("state builds: {err}"),
        }
    }
}

async fn seeded_state_at(url: &str) -> AppState {
    let state = state_at(url).await;
    db::seed::demo_data(&state.db).await.expect("seeds");
    db::diner::ensure(&state.db, DINER, Some("测试"), None)
        .await
        .expect("the test diner");
    state
}

pub fn m(text: &str) -> Money {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

pub fn cashier(uid: &str) -> Scope<'_> {
    Scope {
        merchant: MERCHANT,
        uid,
        staff: Some("cashier-1"),
    }
}

pub fn balance(principal: &str, bonus: &str, granted: &str) -> Balance {
    Balance {
        principal: m(principal),
        bonus: m(bonus),
        granted_bonus: m(granted),
        made_good: Money::ZERO,
    }
}

/// `balance` with `S`, the bonus made good from principal.
pub fn with_made_good(balance: Balance, made_good: &str) -> Balance {
    Balance {
        made_good: m(made_good),
        ..balance
    }
}

/// The invariant that must hold after every step: the wallet equals the sum of its ledger,
/// every field of it (principal, bonus, G, S).
pub async fn assert_wallet_matches_ledger(state: &AppState, uid: &str) -> Balance {
    let db = &state.db;
    let stored = db::wallet::get(db, MERCHANT, uid).await.expect("wallet");
    let sums = db::ledger::wallet_sum(db, MERCHANT, uid)
        .await
        .expect("ledger sum");
    assert_eq!(stored, sums, "wallet ≠ Σ ledger");
    app::service::wallet::balance(state, MERCHANT, uid)
        .await
        .expect("balance")
}

/// Grants silver (as the rule engine would: a REWARD entry).
pub async fn give_silver(db: &Db, uid: &str, amount: i64) {
    let entry = NewLedgerEntry::new(
        LedgerType::Reward,
        Decimal::ZERO,
        MERCHANT,
        uid,
        AssetsChange {
            silver: Some(amount),
            ..AssetsChange::default()
        },
    );
    db::assets::reward_silver(db, uid, amount, &entry)
        .await
        .expect("silver granted");
}

/// A workflow thread as stored.
pub async fn thread(state: &AppState, id: &str) -> db::agent::ThreadRow {
    state
        .agent
        .thread(id)
        .await
        .expect("reads")
        .expect("a thread")
}

/// The agent queue worked, node after node, until the thread waits or ends.
pub async fn work(state: &AppState, id: &str) {
    for _ in 0..20 {
        app::work::drain_all(state, &app::service::agent::Runner, "worker").await;
        if thread(state, id).await.status != "RUNNING" {
            return;
        }
    }
}
