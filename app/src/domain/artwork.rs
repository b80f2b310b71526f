//! The Artist's rules without I/O: the offline reading of "弄一张麻辣小龙虾的图" (what to
//! draw, for which card type), the offline image prompt, and how pictures are named — by
//! the SHA-256 of their bytes, so the same picture is stored once and a name says nothing
//! but what it holds.

use sha2::{Digest, Sha256};

pub use crate::model::artwork::{AssetKind, Brief, Choice};

/// The task that reads the boss's sentence into a [`Brief`].
pub const BRIEF_TASK: &str = "artist.brief";
/// The task that writes a brief's image prompt.
pub const PROMPT_TASK: &str = "artist.prompt";

/// The side of the square pictures drawn, in pixels.
pub const PICTURE_SIDE: u32 = 1024;
/// The side of their thumbnails: four side by side, large enough to judge.
pub const THUMBNAIL_SIDE: u32 = 384;
/// Pictures offered per round.
pub const OFFERED: u32 = 4;
/// Rounds of drawing one offer may take (pictures the review refused are drawn again).
pub const DRAWS_PER_ROUND: u32 = 3;
/// Rounds of "four more" one thread may ask.
pub const MAX_ROUNDS: u32 = 5;
/// The longest subject kept (it is set in the picture as its title).
pub const SUBJECT_CHARS: usize = 12;

/// Words around what to draw that are not it.
const LEADING: &[&str] = &[
    "帮我", "给我", "麻烦", "请", "弄", "做", "画", "生成", "设计", "出", "来", "要", "换", "一张",
    "一幅", "一个", "几张", "张", "幅", "个", "新的", "新", "给", "为", "帮",
];
const TRAILING: &[&str] = &[
    "的图片",
    "的海报",
    "的配图",
    "的照片",
    "的插画",
    "的图",
    "图片",
    "海报",
    "配图",
    "照片",
    "插画",
    "图",
    "吧",
    "呗",
    "呀",
    "啊",
    "的",
];
/// How a picture is counted before what it shows ("一张热汤").
const MEASURES: &[&str] = &["一张", "一幅", "一个", "几张", "张", "幅"];
/// Words that say the picture is for a story (a push, a poster), not a card.
const STORY: &[&str] = &[
    "故事", "剧情", "推送", "海报", "活动", "宣传", "story", "poster",
];
/// What a card type's name ends with beyond its dish ("凉菜入席令" is about 凉菜).
const CARD_SUFFIXES: &[&str] = &["入席令", "令", "券", "卡"];

/// The offline reading of `sentence`, knowing the shop's card types (`(code, name)`): the
/// subject, a card type the sentence names (its art is then what is drawn), and whether
/// the picture is for a story.
pub fn brief_of(sentence: &str, card_types: &[(String, String)]) -> Brief {
    let sentence = sentence.trim();
    let lower = sentence.to_lowercase();
    let named = card_types
        .iter()
        .filter(|(code, name)| {
            sentence.contains(name.as_str()) || lower.contains(&code.to_lowercase())
        })
        .max_by_key(|(_, name)| name.chars().count());
    let kind = if named.is_none() && STORY.iter().any(|word| lower.contains(word)) {
        AssetKind::StoryArt
    } else {
        AssetKind::CardArt
    };
    let mut subject = subject_in(sentence);
    if let Some((_, name)) = named {
        // "给凉菜入席令画张图": the dish of the card, not the sentence around its name.
        let rest = subject.replace(name.as_str(), "");
        subject = if subject_in(&rest).chars().count() >= 2 {
            subject_in(&rest)
        } else {
            dish_of(name)
        };
    }
    if subject.is_empty() {
        subject = "招牌菜".into();
    }
    Brief {
        subject: subject.chars().take(SUBJECT_CHARS).collect(),
        kind,
        card_type: named.map(|(code, _)| code.clone()),
    }
}

/// The sentence without the words around what to draw.
fn subject_in(sentence: &str) -> String {
    let mut text: String = sentence
        .chars()
        .filter(|c| !c.is_ascii_punctuation() && !"，。！？、：；“”‘’（）《》 ".contains(*c))
        .collect();
    loop {
        let before = text.clone();
        for word in LEADING {
            if let Some(rest) = text.strip_prefix(word) {
                text = rest.to_owned();
            }
        }
        for word in TRAILING {
            if let Some(rest) = text.strip_suffix(word) {
                text = rest.to_owned();
            }
        }
        // "给雨天的故事画一张热汤的图" → what is counted after the verb ("一张热汤");
        // "凉菜入席令画张图" → the part before it.
        for verb in ["画", "做", "弄", "生成", "设计", "配"] {
            if let Some((head, tail)) = text.split_once(verb) {
                let counted = MEASURES
                    .iter()
                    .find_map(|measure| tail.strip_prefix(measure))
                    .map(|rest| {
                        TRAILING
                            .iter()
                            .fold(rest, |rest, word| rest.strip_suffix(word).unwrap_or(rest))
                    })
                    .filter(|rest| rest.chars().count() >= 2);
                if let Some(counted) = counted {
                    text = counted.to_owned();
                } else if head.chars().count() >= 2 {
                    text = head.to_owned();
                }
            }
        }
        if text == before {
            return text;
        }
    }
}

/// The dish a card type's name is about.
fn dish_of(name: &str) -> String {
    CARD_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|dish| !dish.is_empty())
        .unwrap_or(name)
        .to_owned()
}

/// The offline image prompt of a brief: the dish, a look that suits a game's card or a
/// story's poster, light and composition.
pub fn image_prompt(brief: &Brief) -> String {
    let look = match brief.kind {
        AssetKind::CardArt => {
            "isometric, 3D render, clay texture, soft studio light, centered on a plate, plain warm background, game card art"
        }
        AssetKind::StoryArt => {
            "illustrated poster, warm restaurant scene, soft evening light, generous empty space for a title"
        }
        AssetKind::Logo => {
            "flat emblem, simple bold shapes, centered, plain background, restaurant logo"
        }
    };
    format!(
        "{subject}, Sichuan restaurant dish, {look}, appetising, high detail",
        subject = brief.subject
    )
}

/// The content hash a picture is stored under: SHA-256 of its bytes, lower-case hex.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Whether `hash` is one [`content_hash`] could give (64 lower-case hex digits).
pub fn is_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The folder of the object store the pictures are kept in.
pub const ART_PREFIX: &str = "art";

/// A stored picture, or its thumbnail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Picture,
    Thumbnail,
}

impl Variant {
    fn suffix(self) -> &'static str {
        match self {
            Self::Picture => ".png",
            Self::Thumbnail => ".thumb.png",
        }
    }

    /// The object store key of `hash`'s picture or thumbnail.
    pub fn key(self, hash: &str) -> String {
        format!("{ART_PREFIX}/{hash}{}", self.suffix())
    }

    /// Where the app serves it.
    pub fn url(self, hash: &str) -> String {
        format!("/media/art/{hash}{}", self.suffix())
    }

    /// The hash and variant a served file name (`<hash>.png`, `<hash>.thumb.png`) names;
    /// none for any other name.
    pub fn parse(name: &str) -> Option<(String, Self)> {
        [Self::Thumbnail, Self::Picture]
            .into_iter()
            .find_map(|variant| {
                name.strip_suffix(variant.suffix())
                    .filter(|hash| is_hash(hash))
                    .map(|hash| (hash.to_owned(), variant))
            })
    }
}

/// The seed of a draw: another thread, round or retry, other pictures.
pub fn seed_of(thread: &str, round: u32, draw: u32) -> u64 {
    let digest = Sha256::digest(format!("{thread}\u{0}{round}\u{0}{draw}"));
    let mut bytes = [0_u8; 8];
    bytes.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card_types() -> Vec<(String, String)> {
        vec![
            ("FREE_APPETIZER".into(), "凉菜入席令".into()),
            ("FREE_DRINK".into(), "饮品入席令".into()),
        ]
    }

    #[test]
    fn a_sentence_is_read_as_what_to_draw_and_for_what() {
        let cases = [
            (
                "弄一张麻辣小龙虾的图",
                "麻辣小龙虾",
                AssetKind::CardArt,
                None,
            ),
            ("帮我画一幅水煮鱼", "水煮鱼", AssetKind::CardArt, None),
            (
                "给凉菜入席令画张新图",
                "凉菜",
                AssetKind::CardArt,
                Some("FREE_APPETIZER"),
            ),
            (
                "给下雨天的活动做张海报",
                "下雨天的活动",
                AssetKind::StoryArt,
                None,
            ),
            ("画图", "招牌菜", AssetKind::CardArt, None),
            (
                "给雨天的故事画一张热汤的图",
                "热汤",
                AssetKind::StoryArt,
                None,
            ),
        ];
        for (sentence, subject, kind, card_type) in cases {
            let brief = brief_of(sentence, &card_types());
            assert_eq!(brief.subject, subject, "{sentence}");
            assert_eq!(brief.kind, kind, "{sentence}");
            assert_eq!(brief.card_type.as_deref(), card_type, "{sentence}");
        }
    }

    #[test]
    fn a_long_subject_is_cut_to_what_fits_as_a_title() {
        let brief = brief_of("弄一张超级无敌好吃的特辣麻辣小龙虾配冰啤酒的图", &[]);
        assert_eq!(brief.subject.chars().count(), SUBJECT_CHARS);
    }

    #[test]
    fn the_offline_prompt_names_the_dish_and_a_look_for_its_use() {
        let card = image_prompt(&brief_of("弄一张麻辣小龙虾的图", &[]));
        assert!(card.starts_with("麻辣小龙虾,"), "{card}");
        assert!(card.contains("clay texture"), "{card}");
        let story = image_prompt(&brief_of("做张活动海报", &[]));
        assert!(story.contains("poster"), "{story}");
    }

    #[test]
    fn pictures_are_named_by_their_bytes_and_only_such_names_are_served() {
        let hash = content_hash(b"png");
        assert!(is_hash(&hash));
        assert_ne!(hash, content_hash(b"png2"));
        assert_eq!(
            Variant::parse(&format!("{hash}.png")),
            Some((hash.clone(), Variant::Picture))
        );
        assert_eq!(
            Variant::parse(&format!("{hash}.thumb.png")),
            Some((hash.clone(), Variant::Thumbnail))
        );
        assert_eq!(Variant::Picture.key(&hash), format!("art/{hash}.png"));
        for refused in [
            "../../etc/passwd".to_owned(),
            format!("{}.png", hash.to_uppercase()),
            format!("{hash}.jpg"),
            format!("{}.png", hash.get(..63).unwrap_or_default()),
            format!("x{hash}.png"),
        ] {
            assert_eq!(Variant::parse(&refused), None, "{refused}");
        }
    }

    #[test]
    fn every_round_and_draw_has_its_own_seed() {
        assert_eq!(seed_of("t", 1, 1), seed_of("t", 1, 1));
        assert_ne!(seed_of("t", 1, 1), seed_of("t", 2, 1));
        assert_ne!(seed_of("t", 1, 1), seed_of("t", 1, 2));
        assert_ne!(seed_of("t", 1, 1), seed_of("u", 1, 1));
    }
}
