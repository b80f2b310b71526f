//! The offline painter's cost: four 1024×1024 candidates and their 256 px thumbnails, on
//! one core (this thread), and the bytes each picture takes.
//!
//! `cargo bench -p artist --bench render`; figures go to docs/benchmarks.md. With
//! `ARTIST_DUMP=<dir>` the last set is written there to be looked at.

use std::time::Instant;

use artist::{CANDIDATES, Renderer, review, thumbnail};

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const SETS: u64 = 8;

fn main() {
    let renderer = Renderer::from_file(std::path::Path::new(FONT)).expect("the CJK font");
    let prompts = [
        (
            "isometric, 3D render, clay texture, spicy crayfish, red chili oil, steam",
            "麻辣小龙虾",
        ),
        ("卤鸭脖，酱香，下雨天", "卤鸭脖"),
        ("清蒸鲈鱼，葱丝，青花瓷盘", "清蒸鲈鱼"),
        ("杨枝甘露，芒果，甜品", "杨枝甘露"),
    ];
    let mut times = Vec::new();
    let mut sizes = Vec::new();
    let mut last = Vec::new();
    for set in 0..SETS {
        let (prompt, title) = prompts
            .get(usize::try_from(set).unwrap_or(0) % prompts.len())
            .copied()
            .unwrap_or(("", ""));
        let started = Instant::now();
        let pictures = renderer
            .candidates(prompt, title, set * 4, 1024, CANDIDATES)
            .expect("drawn");
        let thumbs: Vec<_> = pictures
            .iter()
            .map(|p| thumbnail(&p.png, 256).expect("thumbnail"))
            .collect();
        times.push(started.elapsed());
        for (picture, thumb) in pictures.iter().zip(&thumbs) {
            review(&picture.png, 1024).expect("passes");
            sizes.push((picture.png.len(), thumb.png.len()));
        }
        last = pictures.into_iter().zip(thumbs).collect();
    }
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let worst = times.last().copied().unwrap_or_default();
    let count = sizes.len().max(1);
    let picture_bytes = sizes.iter().map(|(p, _)| p).sum::<usize>() / count;
    let thumb_bytes = sizes.iter().map(|(_, t)| t).sum::<usize>() / count;
    println!(
        "| four 1024² candidates + 256 px thumbnails, one core | median {:.0} ms | worst {:.0} ms |",
        ms(median),
        ms(worst)
    );
    println!("| bytes per picture (PNG) | {picture_bytes} | thumbnail {thumb_bytes} |");
    if let Ok(dir) = std::env::var("ARTIST_DUMP") {
        for (n, (picture, thumb)) in last.iter().enumerate() {
            std::fs::write(format!("{dir}/candidate-{n}.png"), &picture.png).expect("written");
            std::fs::write(format!("{dir}/thumb-{n}.png"), &thumb.png).expect("written");
        }
    }
}
