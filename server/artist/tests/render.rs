//! The offline painter and the review: four distinct pictures that each pass, the same
//! bytes again for the same prompt, and a blank, a wrong-sized or a broken picture refused.

use artist::{CANDIDATES, Refusal, Renderer, Sketch, review, thumbnail};

/// The CJK font `make setup` installs (Debian's fonts-wqy-microhei).
const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

fn renderer() -> Renderer {
    Renderer::from_file(std::path::Path::new(FONT))
        .unwrap_or_else(|e| panic!("{e} (make setup installs fonts-wqy-microhei)"))
}

#[test]
fn four_candidates_differ_and_each_passes_the_review() {
    let pictures = renderer()
        .candidates(
            "麻辣小龙虾，红油，热气腾腾",
            "麻辣小龙虾",
            7,
            384,
            CANDIDATES,
        )
        .expect("drawn");
    assert_eq!(pictures.len(), 4);
    let mut hashes: Vec<u64> = pictures
        .iter()
        .map(|p| xxhash_rust::xxh3::xxh3_64(&p.png))
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), 4, "four different pictures");
    for picture in &pictures {
        let reviewed = review(&picture.png, 384).expect("a picture, not a blank");
        assert!(reviewed.colours > 40, "{reviewed:?}");
    }
}

#[test]
fn the_same_prompt_and_seed_draw_the_same_bytes_and_another_prompt_differs() {
    let renderer = renderer();
    let sketch = Sketch {
        prompt: "清蒸鲈鱼",
        title: "清蒸鲈鱼",
        seed: 3,
        size: 256,
    };
    let once = renderer.draw(&sketch).expect("drawn");
    let again = renderer.draw(&sketch).expect("drawn");
    assert_eq!(once, again);
    let other = renderer
        .draw(&Sketch {
            prompt: "卤鸭脖",
            title: "卤鸭脖",
            ..sketch
        })
        .expect("drawn");
    assert_ne!(once.png, other.png);
}

#[test]
fn a_long_or_empty_title_and_odd_sizes_are_drawn_or_refused_clearly() {
    let renderer = renderer();
    let long = "超级无敌至尊豪华版麻辣香锅配米饭和冰镇酸梅汤套餐";
    for (title, seed) in [(long, 0), ("", 1), ("Dan Dan 面", 2)] {
        let picture = renderer
            .draw(&Sketch {
                prompt: "面",
                title,
                seed,
                size: 256,
            })
            .expect("drawn");
        review(&picture.png, 256).expect("passes");
    }
    for size in [0, 63, 4097] {
        let refused = renderer.draw(&Sketch {
            prompt: "面",
            title: "面",
            seed: 0,
            size,
        });
        assert!(refused.is_err(), "{size} px");
    }
    assert!(Renderer::new(b"not a font".to_vec()).is_err());
}

#[test]
fn a_blank_a_wrong_sized_or_a_broken_picture_is_refused() {
    let mut blank = tiny_skia::Pixmap::new(256, 256).expect("pixmap");
    blank.fill(tiny_skia::Color::from_rgba8(250, 250, 250, 255));
    let png = blank.encode_png().expect("png");
    assert!(matches!(review(&png, 256), Err(Refusal::Blank { .. })));
    // Nearly one colour: a faint speck on white is still blank.
    let mut speck = blank.clone();
    let mut dot = tiny_skia::Paint::default();
    dot.set_color_rgba8(10, 10, 10, 255);
    if let Some(path) = tiny_skia::PathBuilder::from_circle(128.0, 128.0, 6.0) {
        speck.fill_path(
            &path,
            &dot,
            tiny_skia::FillRule::Winding,
            tiny_skia::Transform::identity(),
            None,
        );
    }
    let png = speck.encode_png().expect("png");
    assert!(matches!(review(&png, 256), Err(Refusal::Blank { .. })));
    let picture = renderer()
        .draw(&Sketch {
            prompt: "甜品",
            title: "杨枝甘露",
            seed: 0,
            size: 256,
        })
        .expect("drawn");
    assert!(matches!(
        review(&picture.png, 512),
        Err(Refusal::WrongSize { width: 256, .. })
    ));
    let cut = picture.png.get(..picture.png.len() / 2).expect("half");
    assert!(matches!(review(cut, 256), Err(Refusal::Undecodable(_))));
    assert!(matches!(
        review(b"GIF89a", 256),
        Err(Refusal::Undecodable(_))
    ));
}

#[test]
fn a_thumbnail_is_small_and_still_a_picture() {
    let picture = renderer()
        .draw(&Sketch {
            prompt: "红烧肉",
            title: "红烧肉",
            seed: 1,
            size: 512,
        })
        .expect("drawn");
    let small = thumbnail(&picture.png, 128).expect("thumbnail");
    assert_eq!((small.width, small.height), (128, 128));
    assert!(small.png.len() < picture.png.len());
    review(&small.png, 128).expect("still a picture");
}
