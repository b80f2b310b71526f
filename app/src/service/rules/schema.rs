//! The JSON Schemas of campaigns and stories. Both are generated from the Rust types
//! (`schemars`); the story's is also kept in the repository (`docs/schemas/story.json`, for
//! the mini program and for anyone writing stories) and a test keeps the file equal to the
//! type. Every story is checked against that file's schema with a JSON Schema validator
//! before it is stored or pushed, however it was made: a story read back from a stored
//! template the type would accept may still break the schema's bounds.

use std::sync::LazyLock;

use crate::domain::rules::{CampaignSpec, Story};

/// The Story JSON Schema as kept in the repository.
pub const STORY_SCHEMA: &str = include_str!("../../../../docs/schemas/story.json");

/// The schema of a campaign, as `/api/schemas/campaign.json` serves it.
pub fn campaign_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(CampaignSpec)).unwrap_or_default()
}

/// The schema of a story generated from [`Story`] (what the repository's file must equal).
pub fn generated_story_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Story)).unwrap_or_default()
}

/// The repository's story schema, parsed.
pub fn story_schema() -> &'static serde_json::Value {
    static SCHEMA: LazyLock<serde_json::Value> =
        LazyLock::new(|| serde_json::from_str(STORY_SCHEMA).unwrap_or_default());
    &SCHEMA
}

static STORY_VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> =
    LazyLock::new(|| jsonschema::validator_for(story_schema()).map_err(|e| e.to_string()));

/// Checks a story against the Story JSON Schema: every violation, said with where it is.
pub fn check_story(story: &serde_json::Value) -> Result<(), Vec<String>> {
    let validator = STORY_VALIDATOR.as_ref().map_err(|e| vec![e.clone()])?;
    let errors = llm::schema_problems(validator, story);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_story_schema_is_the_one_the_type_generates() {
        // After changing `Story`, write the new schema with:
        // MEALQUEST_WRITE_SCHEMA=1 cargo test -p app --features ssr story_schema
        let generated = generated_story_schema();
        if std::env::var_os("MEALQUEST_WRITE_SCHEMA").is_some() {
            let text = serde_json::to_string_pretty(&generated).unwrap_or_default() + "\n";
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/schemas/story.json"),
                text,
            )
            .expect("write the schema");
            return;
        }
        assert_eq!(
            story_schema(),
            &generated,
            "docs/schemas/story.json is stale"
        );
    }

    #[test]
    fn a_story_breaking_the_schema_is_refused_with_where() {
        let good = serde_json::json!({
            "title": "雨天来碗热汤",
            "scenes": [{"text": "外面下雨了", "mood": "RAIN"}],
            "rewards": [{"kind": "SILVER", "amount": 20}],
        });
        assert_eq!(check_story(&good), Ok(()));
        let long_title = "长".repeat(41);
        let bad = serde_json::json!({
            "title": long_title,
            "scenes": [],
            "rewards": [{"kind": "SILVER", "amount": 0}],
            "script": "alert(1)",
        });
        let errors = check_story(&bad).expect_err("refused");
        let said = errors.join("\n");
        assert!(said.contains("/title"), "{said}");
        assert!(said.contains("/scenes"), "{said}");
        assert!(said.contains("/rewards/0"), "{said}");
        assert!(said.contains("script"), "{said}");
    }
}
