//! Migrations against real SurrealDB engines: in memory and on disk.

mod common;

use common::{memory_db, options};
use db::migrations::{self, MIGRATIONS};
use db::{ConnectOptions, Db, DbError, connect};

async fn count_migration_rows(db: &Db) -> usize {
    let mut response = db
        .query("SELECT VALUE version FROM _migration")
        .await
        .expect("query runs");
    let versions: Vec<u32> = response.take(0).expect("versions read");
    versions.len()
}

#[tokio::test]
async fn a_fresh_database_is_brought_to_the_latest_version() {
    let db = memory_db().await;
    let report = migrations::migrate(&db).await.expect("migrates");
    assert_eq!(report.schema_version, migrations::latest_version());
    assert_eq!(report.applied_now.len(), MIGRATIONS.len());
    assert_eq!(count_migration_rows(&db).await, MIGRATIONS.len());
    let health = db::health::check(&db).await.expect("health");
    assert!(health.is_current());
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    let db = memory_db().await;
    migrations::migrate(&db).await.expect("first run");
    let second = migrations::migrate(&db).await.expect("second run");
    assert!(second.applied_now.is_empty());
    assert_eq!(count_migration_rows(&db).await, MIGRATIONS.len());
}

#[tokio::test]
async fn concurrent_start_ups_apply_each_migration_once() {
    let db = memory_db().await;
    let runs = (0..8).map(|_| {
        let db = db.clone();
        tokio::spawn(async move { migrations::migrate(&db).await })
    });
    let mut applied_in_total = 0;
    for run in runs {
        let report = run.await.expect("task").expect("migrates");
        applied_in_total += report.applied_now.len();
    }
    assert_eq!(applied_in_total, MIGRATIONS.len());
    assert_eq!(count_migration_rows(&db).await, MIGRATIONS.len());
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    let db = memory_db().await;
    migrations::migrate(&db).await.expect("migrates");
    db.query("UPDATE _migration:1 SET checksum = 'edited'")
        .await
        .expect("tamper");
    let err = migrations::migrate(&db).await.expect_err("must refuse");
    assert!(
        matches!(err, DbError::MigrationChanged { version: 1, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_database_newer_than_the_binary_is_refused() {
    let db = memory_db().await;
    migrations::migrate(&db).await.expect("migrates");
    db.query("CREATE _migration:999 CONTENT { version: 999, name: 'future', checksum: 'x' }")
        .await
        .expect("insert future migration");
    let err = migrations::migrate(&db).await.expect_err("must refuse");
    assert!(
        matches!(err, DbError::SchemaTooNew { found: 999, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn the_schema_and_demo_data_survive_a_restart_on_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("surrealkv://{}/nested/db", dir.path().display());
    let options = options(url);
    {
        let db = connect(&options).await.expect("surrealkv connects");
        migrations::migrate(&db).await.expect("migrates");
        db::seed::demo_data(&db).await.expect("seeds");
    }
    let db = reopen(&options).await;
    let report = migrations::migrate(&db).await.expect("migrates again");
    assert!(report.applied_now.is_empty());
    let merchants = db::merchant::list(&db).await.expect("lists");
    assert_eq!(merchants.len(), 1);
}

#[tokio::test]
async fn seeding_twice_keeps_one_demo_merchant() {
    let db = memory_db().await;
    migrations::migrate(&db).await.expect("migrates");
    db::seed::demo_data(&db).await.expect("first seed");
    db::seed::demo_data(&db).await.expect("second seed");
    let merchants = db::merchant::list(&db).await.expect("lists");
    assert_eq!(merchants.len(), 1);
    assert_eq!(
        merchants.first().map(|m| m.id.as_str()),
        Some(db::seed::DEMO_MERCHANT_ID)
    );
}

#[tokio::test]
async fn the_schema_rejects_a_blank_merchant_name() {
    let db = memory_db().await;
    migrations::migrate(&db).await.expect("migrates");
    let err = db::merchant::upsert(&db, "blank", "   ", "Asia/Shanghai").await;
    assert!(err.is_err());
    assert!(db::merchant::list(&db).await.expect("lists").is_empty());
}

/// Dropping the last handle shuts the embedded engine down on a background task, which
/// releases the store's file lock shortly after; a reopen in the same process waits for that.
async fn reopen(options: &ConnectOptions) -> Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match connect(options).await {
            Ok(db) => return db,
            Err(err) if std::time::Instant::now() < deadline => {
                assert!(err.to_string().contains("locked"), "unexpected: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(err) => panic!("store still locked after 10 s: {err}"),
        }
    }
}

#[tokio::test]
async fn a_stock_day_must_be_a_calendar_date() {
    let db = memory_db().await;
    migrations::migrate(&db).await.expect("migrates");
    db.query("CREATE merchant:m SET name = 'm'")
        .await
        .expect("merchant");
    for (day, accepted) in [
        ("2026-11-25", true),
        ("1970-01-01", true),
        ("2026-13-01", false),
        ("2026-11-25T00:00:00Z", false),
        ("yesterday", false),
    ] {
        let response = db
            .query(
                "CREATE card_stock CONTENT { merchant: merchant:m, daily_cap: 1,
                     current_stock: 1, reset_day: $day }",
            )
            .bind(("day", day))
            .await
            .expect("query runs");
        assert_eq!(response.check().is_ok(), accepted, "{day}");
    }
}

/// A database as the migrations before the one called `name` left it: each applied and
/// recorded as `migrate` records it.
async fn migrated_up_to(name: &str) -> Db {
    let db = memory_db().await;
    for migration in MIGRATIONS.iter().take_while(|m| m.name != name) {
        run(db.query(migration.sql)).await;
        run(db
            .query(
                "CREATE type::record('_migration', $version) \
                 CONTENT { version: $version, name: $name, checksum: $checksum }",
            )
            .bind(("version", i64::from(migration.version)))
            .bind(("name", migration.name))
            .bind(("checksum", migration.checksum())))
        .await;
    }
    db
}

/// The version of the migration called `name`.
fn version_of(name: &str) -> u32 {
    MIGRATIONS
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.version)
        .unwrap_or_else(|| panic!("no migration {name}"))
}

#[tokio::test]
async fn cards_issued_before_card_values_are_worth_what_their_type_offered() {
    let db = migrated_up_to("card_value").await;
    db.query(
        "CREATE merchant:m SET name = 'm', timezone = 'Asia/Shanghai';
         CREATE card_type:['m', 'SOUP'] CONTENT { merchant: merchant:m, code: 'SOUP',
             name: '汤入席令', recipe: [{ fragment: 'CHILI', count: 1 }],
             benefit: { kind: 'DEDUCT', amount: 8dec, description: '例汤一份' },
             validity_days: 7, cost_basis: 3dec };
         CREATE card:old CONTENT { merchant: merchant:m, card_type: card_type:['m', 'SOUP'],
             uid: 'u', status: 'ACTIVE', expiry: time::now() + 7d };",
    )
    .await
    .and_then(|response| response.check())
    .expect("an old card");

    let report = migrations::migrate(&db).await.expect("migrates");
    let card_value = version_of("card_value");
    assert!(
        report.applied_now.contains(&card_value),
        "applied {:?}",
        report.applied_now
    );
    let card = db::card::get(&db, "old")
        .await
        .expect("reads")
        .expect("the card");
    assert_eq!(
        card.value,
        db::card::CardValue {
            name: "汤入席令".into(),
            benefit: db::catalog::BenefitRow {
                kind: "DEDUCT".into(),
                amount: rust_decimal::Decimal::new(8, 0),
                description: "例汤一份".into(),
            },
            cost_basis: rust_decimal::Decimal::new(3, 0),
        }
    );

    // Fixed from now on: neither an edit of the card nor of its type changes it.
    let edit = db
        .query("UPDATE card:old SET value.benefit.amount = 80dec")
        .await
        .expect("query runs");
    assert!(edit.check().is_err(), "a card's value is read-only");
    db.query("UPDATE card_type:['m', 'SOUP'] SET benefit.amount = 1dec")
        .await
        .and_then(|response| response.check())
        .expect("the type changes");
    let card = db::card::get(&db, "old")
        .await
        .expect("reads")
        .expect("the card");
    assert_eq!(card.value.benefit.amount, rust_decimal::Decimal::new(8, 0));
}

/// Runs a query and fails the test on any statement's error.
async fn run<Q>(query: Q)
where
    Q: std::future::IntoFuture<Output = surrealdb::Result<surrealdb::IndexedResults>>,
{
    let mut response = query.await.expect("query runs");
    let errors = response.take_errors();
    assert!(errors.is_empty(), "{errors:?}");
}

/// Wallets written before `made_good` (S) existed read 0 for it after its migration, and the
/// guarded writes (which compare it) still move them.
#[tokio::test]
async fn a_wallet_from_before_made_good_has_nothing_made_good_and_still_moves() {
    let db = migrated_up_to("wallet_made_good").await;
    run(db.query(
        "CREATE type::record('wallet', ['demo', 'd1']) CONTENT { merchant: merchant:demo, \
             uid: 'd1', principal: 50dec, bonus: 10dec, granted_bonus: 20dec }",
    ))
    .await;

    let report = migrations::migrate(&db).await.expect("migrates");
    assert_eq!(
        report.applied_now.first(),
        Some(&version_of("wallet_made_good"))
    );
    let old = db::wallet::get(&db, "demo", "d1").await.expect("wallet");
    let dec = |text: &str| text.parse::<rust_decimal::Decimal>().expect("decimal");
    assert_eq!(
        old,
        db::wallet::WalletRow {
            principal: dec("50"),
            bonus: dec("10"),
            granted_bonus: dec("20"),
            made_good: dec("0"),
        }
    );
    let next = db::wallet::WalletRow {
        principal: dec("0"),
        bonus: dec("0"),
        granted_bonus: dec("0"),
        made_good: dec("10"),
    };
    let entry = db::ledger::NewLedgerEntry::new(
        db::ledger::LedgerType::StoredValueRefund,
        dec("40"),
        "demo",
        "d1",
        db::ledger::AssetsChange::default(),
    );
    db::wallet::apply(&db, "demo", "d1", &old, &next, &entry, &db::Outcome::none())
        .await
        .expect("an old wallet moves");
    assert_eq!(
        db::wallet::get(&db, "demo", "d1").await.expect("wallet"),
        next
    );
}

/// Events published before the work queue existed are not lost by its migration: they move
/// to the queue and are numbered like any other.
#[tokio::test]
async fn events_waiting_before_the_work_queue_are_numbered_after_it() {
    let db = migrated_up_to("work_queue").await;
    run(db.query(
        "CREATE event_pending CONTENT { recipients: ['diner:old', 'merchant:demo'], \
             type: 'WALLET_UPDATED', payload: { n: 1 } }",
    ))
    .await;
    migrations::migrate(&db).await.expect("migrates");
    assert_eq!(common::number_pending(&db, 10).await.expect("numbered"), 1);
    for recipient in ["diner:old", "merchant:demo"] {
        let events = db::events::after(&db, recipient, 0, 10)
            .await
            .expect("events");
        assert_eq!(events.len(), 1, "{recipient}");
        assert_eq!(events[0].payload, serde_json::json!({ "n": 1 }));
    }
}
