//! The review every picture passes before a boss sees it, whoever drew it: it decodes, it
//! is the size asked for, and it is a picture — not blank, not nearly one colour.

use image::GenericImageView;

/// What the review measured of a picture that passed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reviewed {
    /// Colours seen among the samples (each channel in 16 steps).
    pub colours: usize,
    /// The share of samples in the most common colour.
    pub dominant: f32,
    /// The standard deviation of the samples' luminance (0–255).
    pub contrast: f32,
}

/// Why a picture was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("the picture does not decode: {0}")]
    Undecodable(String),
    #[error("the picture is {width}×{height}, not {expected}×{expected}")]
    WrongSize {
        width: u32,
        height: u32,
        expected: u32,
    },
    #[error("the picture is blank or nearly one colour ({colours} colours, {dominant:.0}% one, contrast {contrast:.1})", dominant = .dominant * 100.0)]
    Blank {
        colours: usize,
        dominant: f32,
        contrast: f32,
    },
}

/// The fewest colours a picture shows (in 16 steps a channel).
const MIN_COLOURS: usize = 12;
/// The largest share one colour may cover.
const MAX_DOMINANT: f32 = 0.9;
/// The least luminance spread.
const MIN_CONTRAST: f32 = 6.0;

/// Reviews `png`, expected `side` × `side` pixels.
pub fn review(png: &[u8], side: u32) -> Result<Reviewed, Refusal> {
    let picture = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .map_err(|e| Refusal::Undecodable(e.to_string()))?;
    let (width, height) = picture.dimensions();
    if (width, height) != (side, side) {
        return Err(Refusal::WrongSize {
            width,
            height,
            expected: side,
        });
    }
    let rgb = picture.to_rgb8();
    // About 16,000 samples on a grid, whatever the size; luminance's spread by Welford's
    // running mean and variance.
    let step = usize::try_from((width / 128).max(1)).unwrap_or(1);
    let mut counts = std::collections::HashMap::<u16, u16>::new();
    let (mut mean, mut spread, mut samples) = (0.0_f32, 0.0_f32, 0_u16);
    for row in rgb.rows().step_by(step) {
        for pixel in row.step_by(step) {
            let [r, g, b] = pixel.0;
            let bucket = (u16::from(r >> 4) << 8) | (u16::from(g >> 4) << 4) | u16::from(b >> 4);
            let count = counts.entry(bucket).or_default();
            *count = count.saturating_add(1);
            let luminance = 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b);
            samples = samples.saturating_add(1);
            let delta = luminance - mean;
            mean += delta / f32::from(samples);
            spread += delta * (luminance - mean);
        }
    }
    let n = f32::from(samples.max(1));
    let most = counts.values().copied().max().unwrap_or(0);
    let reviewed = Reviewed {
        colours: counts.len(),
        dominant: f32::from(most) / n,
        contrast: (spread / n).max(0.0).sqrt(),
    };
    if reviewed.colours < MIN_COLOURS
        || reviewed.dominant > MAX_DOMINANT
        || reviewed.contrast < MIN_CONTRAST
    {
        return Err(Refusal::Blank {
            colours: reviewed.colours,
            dominant: reviewed.dominant,
            contrast: reviewed.contrast,
        });
    }
    Ok(reviewed)
}
