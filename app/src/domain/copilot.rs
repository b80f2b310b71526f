//! What the offline Copilot understands of the boss's sentence (the model does it when one
//! is configured; this is the built-in answer, and the degraded mode): keep a preference
//! ("记住：不要打折"), ask the Artist for a picture ("弄一张麻辣小龙虾的图"), or ask the
//! Strategist for a campaign, with the stock to move when the sentence names one
//! ("鸭脖积压了500份，下雨天搞个活动").

use serde::{Deserialize, Serialize};

use crate::domain::strategy::Overstock;
pub use crate::model::agent::Intent;

/// The task the Copilot asks a model.
pub const INTENT_TASK: &str = "copilot.intent";

/// A sentence understood.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Understood {
    pub intent: Intent,
    /// The stock to move, when the sentence names one (for the Strategist).
    #[serde(default)]
    pub overstock: Option<Overstock>,
    /// The preference to keep, in the boss's words (for Remember).
    #[serde(default)]
    pub preference: Option<String>,
}

/// Words that ask to keep a preference.
const REMEMBER: &[&str] = &[
    "记住",
    "记得",
    "以后别",
    "以后不要",
    "别再",
    "不要再",
    "我不喜欢",
    "我喜欢",
];
/// Words that ask for a campaign.
const CAMPAIGN: &[&str] = &[
    "活动",
    "方案",
    "促销",
    "策划",
    "营销",
    "清库存",
    "积压",
    "卖不掉",
    "卖不动",
    "剩",
    "库存",
    "campaign",
    "promotion",
    "overstock",
];
/// Words that ask for a picture.
const PICTURE: &[&str] = &[
    "图", "画", "海报", "照片", "插画", "配图", "picture", "image", "draw", "poster",
];
/// Units a stock count is given in.
const UNITS: &[char] = &[
    '份', '个', '斤', '只', '盒', '瓶', '袋', '箱', '盘', '碗', '串',
];
/// Characters that end an item's name.
const STOPS: &[char] = &[
    '积', '压', '剩', '卖', '没', '太', '还', '要', '了', '有', '多', '搞', '做', '想', '快', '都',
];

/// The offline reading of `text`.
pub fn understand(text: &str) -> Understood {
    let text = text.trim();
    let lower = text.to_lowercase();
    if let Some(word) = REMEMBER.iter().find(|word| text.contains(*word)) {
        // "记住：不要打折" keeps "不要打折"; "我不喜欢打折" keeps it whole.
        let kept = if matches!(*word, "记住" | "记得") {
            text.split_once(word)
                .map(|(_, rest)| rest.trim_start_matches([':', '：', ',', '，', ' ']).trim())
                .filter(|rest| !rest.is_empty())
                .unwrap_or(text)
        } else {
            text
        };
        return Understood {
            intent: Intent::Remember,
            overstock: None,
            preference: Some(kept.to_owned()),
        };
    }
    if PICTURE.iter().any(|word| lower.contains(word)) {
        return Understood {
            intent: Intent::Artist,
            overstock: None,
            preference: None,
        };
    }
    let overstock = overstock_in(text);
    let intent = if overstock.is_some() || CAMPAIGN.iter().any(|word| lower.contains(word)) {
        Intent::Strategist
    } else {
        Intent::Unknown
    };
    Understood {
        intent,
        overstock: overstock.filter(|_| intent == Intent::Strategist),
        preference: None,
    }
}

/// A count with its unit and the item named next to it: "500份鸭脖" or "鸭脖积压了500份".
fn overstock_in(text: &str) -> Option<Overstock> {
    let chars: Vec<char> = text.chars().collect();
    let start = chars.iter().position(char::is_ascii_digit)?;
    let end = chars
        .iter()
        .skip(start)
        .position(|c| !c.is_ascii_digit())
        .map_or(chars.len(), |n| start + n);
    let count: u32 = chars
        .get(start..end)?
        .iter()
        .collect::<String>()
        .parse()
        .ok()?;
    // A number without a unit is not a stock ("周末2天").
    chars.get(end).filter(|c| UNITS.contains(c))?;
    let is_name = |c: &char| c.is_alphabetic() && !STOPS.contains(c);
    let after: String = chars
        .iter()
        .skip(end + 1)
        .take_while(|c| is_name(c))
        .take(8)
        .collect();
    let item = if after.is_empty() {
        // Before the number: skip the verbs between the item and it, then take the name.
        let before: Vec<char> = chars.get(..start)?.to_vec();
        let named: Vec<char> = before
            .iter()
            .rev()
            .skip_while(|c| STOPS.contains(c) || c.is_whitespace())
            .take_while(|c| is_name(c))
            .take(8)
            .copied()
            .collect();
        named.into_iter().rev().collect()
    } else {
        after
    };
    (!item.is_empty() && count > 0).then_some(Overstock { item, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(item: &str, count: u32) -> Option<Overstock> {
        Some(Overstock {
            item: item.into(),
            count,
        })
    }

    #[test]
    fn sentences_are_read_as_the_boss_means_them() {
        let cases = [
            (
                "鸭脖积压了500份，下雨天搞个活动",
                Intent::Strategist,
                stock("鸭脖", 500),
                None,
            ),
            (
                "500份鸭脖卖不掉了",
                Intent::Strategist,
                stock("鸭脖", 500),
                None,
            ),
            ("帮我策划一个周末的活动", Intent::Strategist, None, None),
            ("记住：不要打折", Intent::Remember, None, Some("不要打折")),
            ("我不喜欢送钱", Intent::Remember, None, Some("我不喜欢送钱")),
            ("今天天气怎么样", Intent::Unknown, None, None),
            ("弄一张麻辣小龙虾的图", Intent::Artist, None, None),
            // A poster for a campaign is a picture to draw, not a campaign.
            ("给下雨天的活动做张海报", Intent::Artist, None, None),
            (
                "库存里还有30斤小龙虾",
                Intent::Strategist,
                stock("小龙虾", 30),
                None,
            ),
        ];
        for (text, intent, overstock, preference) in cases {
            let read = understand(text);
            assert_eq!(read.intent, intent, "{text}");
            assert_eq!(read.overstock, overstock, "{text}");
            assert_eq!(read.preference.as_deref(), preference, "{text}");
        }
    }
}
