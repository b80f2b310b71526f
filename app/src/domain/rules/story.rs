//! Stories: what a diner's phone shows when a campaign rewards them — a few scenes of text,
//! the rewards, and what to do next. A campaign holds a template whose texts may name
//! placeholders (`{nickname}`, `{shop}`, `{weather}`, `{rewards}`); the story is the template
//! filled in for one diner, with the rewards written by our code from the grants, never by
//! the template. The server checks every filled-in story against the Story JSON Schema
//! (`docs/schemas/story.json`, generated from these types) before it stores or pushes it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::checked::{AssetId, Code, Name};

/// The most scenes a story may have.
pub const MAX_SCENES: usize = 6;

/// A story as the diner receives it.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Story {
    #[cfg_attr(feature = "ssr", schemars(length(min = 1, max = 40)))]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 40))]
    pub title: String,
    #[cfg_attr(feature = "ssr", schemars(length(min = 1, max = 6)))]
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 6))]
    pub scenes: Vec<Scene>,
    /// What the diner was given (empty: a story alone).
    #[cfg_attr(feature = "ssr", schemars(length(max = 16)))]
    pub rewards: Vec<Reward>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta: Option<Cta>,
    /// A picture of the shop's library shown with the story: where it is served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "ssr",
        schemars(regex(pattern = r"^/media/art/[0-9a-f]{64}\.png$"))
    )]
    #[cfg_attr(feature = "ssr", schema(pattern = r"^/media/art/[0-9a-f]{64}\.png$"))]
    pub art: Option<String>,
}

/// One scene: a line or two of text over a mood the app draws.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    #[cfg_attr(feature = "ssr", schemars(length(min = 1, max = 200)))]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub text: String,
    #[serde(default)]
    pub mood: Mood,
}

/// The backdrop a scene is drawn over.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mood {
    #[default]
    Calm,
    Rain,
    Sunshine,
    Night,
    Festive,
}

/// Something given with the story.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE", deny_unknown_fields)]
pub enum Reward {
    Silver {
        #[cfg_attr(feature = "ssr", schemars(range(min = 1)))]
        amount: u32,
    },
    Fragment {
        code: Code,
        name: Name,
        #[cfg_attr(feature = "ssr", schemars(range(min = 1)))]
        count: u32,
    },
    Card {
        card_type: Code,
        name: Name,
    },
}

/// What the story's button does.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cta {
    #[cfg_attr(feature = "ssr", schemars(length(min = 1, max = 16)))]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 16))]
    pub label: String,
    pub action: CtaAction,
}

/// Where the button leads in the app.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CtaAction {
    OpenInventory,
    OpenMarket,
    Synthesize,
    Dismiss,
}

/// A campaign's story before it is filled in for a diner: the texts may name placeholders.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema, utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryTemplate {
    /// 1–40 characters once filled in.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 40))]
    #[cfg_attr(feature = "ssr", schemars(length(min = 1, max = 40)))]
    pub title: String,
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 6))]
    #[cfg_attr(feature = "ssr", schemars(length(min = 1, max = 6)))]
    pub scenes: Vec<Scene>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta: Option<Cta>,
    /// One of the shop's pictures (an asset of its library) shown with the story.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub art: Option<AssetId>,
}

/// The placeholders a template may name.
pub const PLACEHOLDERS: [&str; 4] = ["nickname", "shop", "weather", "rewards"];

/// Why a template cannot be filled in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoryError {
    #[error("{path}: unknown placeholder {{{name}}} (known: nickname, shop, weather, rewards)")]
    UnknownPlaceholder { path: String, name: String },
    #[error("{path}: a '{{' without its '}}'")]
    Unclosed { path: String },
}

impl StoryError {
    /// Where in the template it is (`scenes[1].text`).
    pub fn path(&self) -> &str {
        match self {
            Self::UnknownPlaceholder { path, .. } | Self::Unclosed { path } => path,
        }
    }
}

/// The values placeholders are filled with.
pub type Values<'a> = BTreeMap<&'static str, &'a str>;

impl StoryTemplate {
    /// The story for one diner: every text filled in, the rewards as given, and the
    /// picture `art` is served at (the template's asset, as the shop's library has it).
    pub fn fill(
        &self,
        values: &Values<'_>,
        rewards: Vec<Reward>,
        art: Option<String>,
    ) -> Result<Story, StoryError> {
        let scenes = self
            .scenes
            .iter()
            .enumerate()
            .map(|(i, scene)| {
                Ok(Scene {
                    text: fill(&scene.text, values, &format!("scenes[{i}].text"))?,
                    mood: scene.mood,
                })
            })
            .collect::<Result<Vec<_>, StoryError>>()?;
        let cta = self
            .cta
            .as_ref()
            .map(|cta| {
                Ok::<_, StoryError>(Cta {
                    label: fill(&cta.label, values, "cta.label")?,
                    action: cta.action,
                })
            })
            .transpose()?;
        Ok(Story {
            title: fill(&self.title, values, "title")?,
            scenes,
            rewards,
            cta,
            art,
        })
    }
}

/// `text` with each `{name}` replaced by its value; `{{` and `}}` are literal braces.
fn fill(text: &str, values: &Values<'_>, path: &str) -> Result<String, StoryError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let (before, from_brace) = rest.split_at(open);
        out.push_str(&before.replace("}}", "}"));
        let after = from_brace.get(1..).unwrap_or_default();
        if let Some(literal) = after.strip_prefix('{') {
            out.push('{');
            rest = literal;
            continue;
        }
        let close = after.find('}').ok_or_else(|| StoryError::Unclosed {
            path: path.to_owned(),
        })?;
        let (name, tail) = after.split_at(close);
        let value = PLACEHOLDERS
            .iter()
            .find(|known| **known == name)
            .and_then(|known| values.get(known))
            .ok_or_else(|| StoryError::UnknownPlaceholder {
                path: path.to_owned(),
                name: name.to_owned(),
            })?;
        out.push_str(value);
        rest = tail.get(1..).unwrap_or_default();
    }
    out.push_str(&rest.replace("}}", "}"));
    Ok(out)
}

/// The rewards said in words, for `{rewards}` (e.g. `辣椒碎片×2、碎银×50`).
pub fn rewards_in_words(rewards: &[Reward]) -> String {
    rewards
        .iter()
        .map(|reward| match reward {
            Reward::Silver { amount } => format!("碎银×{amount}"),
            Reward::Fragment { name, count, .. } => format!("{name}×{count}"),
            Reward::Card { name, .. } => format!("{name}"),
        })
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values<'static> {
        BTreeMap::from([
            ("nickname", "小王"),
            ("shop", "川味小馆"),
            ("weather", "雨天"),
            ("rewards", "辣椒碎片×2"),
        ])
    }

    fn template(title: &str) -> StoryTemplate {
        StoryTemplate {
            title: title.into(),
            scenes: vec![Scene {
                text: "{shop}为你备了{rewards}".into(),
                mood: Mood::Rain,
            }],
            cta: Some(Cta {
                label: "去合成".into(),
                action: CtaAction::Synthesize,
            }),
            art: None,
        }
    }

    #[test]
    fn placeholders_are_filled_and_braces_can_be_written() {
        let story = template("{nickname}，{weather}快乐 {{限时}}").fill(&values(), vec![], None);
        let story = story.expect("fills");
        assert_eq!(story.title, "小王，雨天快乐 {限时}");
        assert_eq!(
            story.scenes.first().map(|s| s.text.as_str()),
            Some("川味小馆为你备了辣椒碎片×2")
        );
    }

    #[test]
    fn an_unknown_or_unclosed_placeholder_is_refused_where_it_is() {
        let unknown = template("{password}").fill(&values(), vec![], None);
        assert_eq!(
            unknown,
            Err(StoryError::UnknownPlaceholder {
                path: "title".into(),
                name: "password".into()
            })
        );
        let mut unclosed = template("ok");
        unclosed.scenes.push(Scene {
            text: "{shop".into(),
            mood: Mood::Calm,
        });
        assert_eq!(
            unclosed
                .fill(&values(), vec![], None)
                .map_err(|e| e.path().to_owned()),
            Err("scenes[1].text".to_owned())
        );
    }

    #[test]
    fn rewards_read_as_a_list() {
        let rewards = [
            Reward::Fragment {
                code: "CHILI".parse().expect("code"),
                name: "辣椒碎片".parse().expect("name"),
                count: 2,
            },
            Reward::Silver { amount: 50 },
        ];
        assert_eq!(rewards_in_words(&rewards), "辣椒碎片×2、碎银×50");
    }
}
