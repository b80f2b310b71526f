//! Embeddings: the [`Embedder`] trait, the OpenAI-compatible `/embeddings` adapter (see
//! `openai.rs`), and the offline [`Lexical`] embedder — hashed character n-grams, so texts
//! that share words (in Chinese: characters and their pairs) land near each other. No crate
//! on the registries ships a small embedding model's weights inside it (model2vec-rs and
//! fastembed fetch theirs from Hugging Face at run time, which an air-gapped shop cannot),
//! so the offline embedder is this documented lexical one: deterministic, never random.

use std::fmt;

use futures::future::BoxFuture;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::chat::CallError;

/// The length of every vector the product stores (its vector index is defined for it); a
/// remote model is asked for this many dimensions.
pub const DIMENSION: usize = 256;

/// Turns texts into vectors of [`DIMENSION`] numbers, nearer for nearer meanings.
pub trait Embedder: Send + Sync + fmt::Debug {
    /// The vector space its vectors live in (`lexical-v1`, `openai:bge-m3`): vectors of two
    /// spaces are never compared.
    fn space(&self) -> &str;

    /// One vector per text, in order; `merchant` is whose call it is (for the limits).
    fn embed<'a>(
        &'a self,
        merchant: &'a str,
        texts: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CallError>>;
}

/// The offline embedder: every character unigram, bigram and trigram of the text (letters
/// and digits lower-cased; spaces and punctuation split it), hashed into [`DIMENSION`]
/// buckets with a hashed sign (trigrams count half), then scaled to unit length, so cosine
/// distance compares texts by the n-grams they share.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lexical;

/// The space of [`Lexical`]'s vectors (its version: a change of the recipe is a new space).
pub const LEXICAL: &str = "lexical-v1";

impl Lexical {
    pub fn vector(text: &str) -> Vec<f32> {
        let mut vector = vec![0.0_f32; DIMENSION];
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
        {
            let chars: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
            for n in 1..=3_usize {
                // Short Chinese texts share characters and pairs more than triples.
                let weight = if n == 3 { 0.5 } else { 1.0 };
                for gram in chars.windows(n) {
                    let gram: String = gram.iter().collect();
                    let hash = xxh3_64_with_seed(gram.as_bytes(), 0x6d65_616c);
                    let bucket = usize::try_from(hash).unwrap_or(0) % DIMENSION;
                    let sign = if hash & (1 << 63) == 0 { 1.0 } else { -1.0 };
                    if let Some(slot) = vector.get_mut(bucket) {
                        *slot += sign * weight;
                    }
                }
            }
        }
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            for x in &mut vector {
                *x /= norm;
            }
        }
        vector
    }
}

impl Embedder for Lexical {
    fn space(&self) -> &str {
        LEXICAL
    }

    fn embed<'a>(
        &'a self,
        _merchant: &'a str,
        texts: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<f32>>, CallError>> {
        Box::pin(async move { Ok(texts.iter().map(|text| Self::vector(text)).collect()) })
    }
}

/// The cosine similarity of two vectors (1 the same direction, 0 unrelated).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let scale = norm(a) * norm(b);
    if scale > 0.0 { dot / scale } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_has_the_products_length_and_unit_norm() {
        let vector = Lexical::vector("老板不喜欢打折，喜欢送菜");
        assert_eq!(vector.len(), DIMENSION);
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }

    #[test]
    fn texts_that_share_words_are_nearer_than_texts_that_do_not() {
        let preference = Lexical::vector("不要打折");
        let near = Lexical::vector("老板不喜欢打折");
        let far = Lexical::vector("下雨天送凉菜给老顾客");
        assert!(
            cosine(&preference, &near) > cosine(&preference, &far) + 0.2,
            "near {} far {}",
            cosine(&preference, &near),
            cosine(&preference, &far)
        );
    }

    #[test]
    fn the_same_text_gives_the_same_vector_and_an_empty_one_the_zero_vector() {
        assert_eq!(Lexical::vector("送菜"), Lexical::vector("送菜"));
        assert!(Lexical::vector(" ，。").iter().all(|x| *x == 0.0));
        assert_eq!(Lexical::vector("Discount"), Lexical::vector("discount"));
    }
}
