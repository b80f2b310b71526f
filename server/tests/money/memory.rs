//! The agent's long-term memory against real SurrealDB: preferences found nearest first by
//! the KNN operator, which the HNSW index answers (EXPLAIN says so); kept per shop; found
//! lexically when the embedding provider fails.

use app::service::memory;
use app::service::models::Models;
use db::memory::Space;

use crate::helpers::seeded_state;
use crate::provider::Provider;

const MERCHANT: &str = "demo";

#[tokio::test]
async fn the_nearest_preferences_come_first_and_another_shops_never() {
    let state = seeded_state().await;
    for said in ["不要打折", "喜欢送菜，不喜欢送钱", "周末别搞活动，人手不够"]
    {
        memory::remember(&state, MERCHANT, said)
            .await
            .expect("kept");
    }
    memory::remember(&state, "other", "打折打折打折")
        .await
        .expect("kept");
    let found = memory::recall(&state, MERCHANT, "打折促销", 2)
        .await
        .expect("recalled");
    assert_eq!(found.first().map(String::as_str), Some("不要打折"));
    assert_eq!(found.len(), 2);
    assert!(!found.iter().any(|text| text == "打折打折打折"));
    let newest = memory::recall(&state, MERCHANT, " ", 5)
        .await
        .expect("recalled");
    assert_eq!(newest.len(), 3);
    let refused = memory::remember(&state, MERCHANT, "  ").await;
    assert!(refused.is_err(), "{refused:?}");
}

#[tokio::test]
async fn the_knn_query_is_answered_by_the_hnsw_index() {
    let state = seeded_state().await;
    memory::remember(&state, MERCHANT, "不要打折")
        .await
        .expect("kept");
    for (space, index) in [
        (Space::Lexical, "preference_lexical"),
        (
            Space::Embedding("openai:bge-m3".into()),
            "preference_embedding",
        ),
    ] {
        let query = format!("{} EXPLAIN", db::memory::nearest_query(&space, 3));
        let mut response = state
            .db
            .query(query)
            .bind(("merchant", MERCHANT))
            .bind(("space", "openai:bge-m3"))
            .bind(("vector", llm::Lexical::vector("打折")))
            .await
            .expect("explained");
        let plan: Vec<serde_json::Value> = response.take(0).expect("the plan");
        let plan = serde_json::Value::from(plan).to_string();
        // A KNN scan of the HNSW index (not a full scan computing every distance).
        assert!(plan.contains("\"operator\":\"KnnScan\""), "{plan}");
        assert!(plan.contains(&format!("\"index\":\"{index}\"")), "{plan}");
    }
}

#[tokio::test]
async fn preferences_kept_while_the_embedding_provider_fails_are_still_found() {
    let provider = Provider::start(Vec::new()).await;
    let mut state = seeded_state().await;
    state.models = Models::default().with_embedder(provider.embedder());
    memory::remember(&state, MERCHANT, "喜欢送菜")
        .await
        .expect("kept");
    provider.fail_embeddings(true);
    memory::remember(&state, MERCHANT, "不要打折")
        .await
        .expect("kept lexically");
    let spaces: Vec<String> = state
        .db
        .query("SELECT VALUE space FROM preference ORDER BY at")
        .await
        .expect("reads")
        .take(0)
        .expect("spaces");
    assert_eq!(spaces, ["openai:bge-m3", llm::LEXICAL]);
    provider.fail_embeddings(false);
    let found = memory::recall(&state, MERCHANT, "打折", 2)
        .await
        .expect("recalled");
    assert!(found.contains(&"不要打折".to_owned()), "{found:?}");
    assert!(found.contains(&"喜欢送菜".to_owned()), "{found:?}");
    assert!(provider.embeddings() >= 3);
}
