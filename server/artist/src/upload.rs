//! A picture the boss uploads (the shop's logo): read within limits, so a small file that
//! would decode to a huge picture is refused before it is decoded, then fitted whole into
//! a square (its sides kept, the rest transparent) and kept as PNG like every picture.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits, RgbaImage, imageops};

use crate::{Picture, Refusal};

/// The largest picture an upload may decode to, on either side.
const MAX_SIDE: u32 = 8_192;
/// The most memory decoding one upload may take.
const MAX_ALLOC: u64 = 128 * 1024 * 1024;

/// `bytes` (PNG, JPEG or WebP) fitted into a `side` × `side` PNG.
pub fn fitted(bytes: &[u8], side: u32) -> Result<Picture, Refusal> {
    let undecodable = |e: image::ImageError| Refusal::Undecodable(e.to_string());
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Refusal::Undecodable(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) => {}
        other => {
            return Err(Refusal::Undecodable(match other {
                Some(format) => format!("{format:?} is not one of PNG, JPEG or WebP"),
                None => "not a picture".to_owned(),
            }));
        }
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let picture = reader.decode().map_err(undecodable)?;
    let small = picture
        .resize(side, side, imageops::FilterType::Lanczos3)
        .to_rgba8();
    let mut canvas = RgbaImage::new(side, side);
    let left = i64::from(side.saturating_sub(small.width()) / 2);
    let top = i64::from(side.saturating_sub(small.height()) / 2);
    imageops::overlay(&mut canvas, &small, left, top);
    let mut png = Cursor::new(Vec::new());
    canvas
        .write_to(&mut png, ImageFormat::Png)
        .map_err(undecodable)?;
    Ok(Picture {
        png: png.into_inner(),
        width: side,
        height: side,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::GenericImageView;

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([
                u8::try_from(x % 256).unwrap_or(0),
                u8::try_from(y % 256).unwrap_or(0),
                90,
            ])
        });
        let mut bytes = Cursor::new(Vec::new());
        picture.write_to(&mut bytes, format).expect("encodes");
        bytes.into_inner()
    }

    #[test]
    fn a_wide_jpeg_is_fitted_whole_into_the_square() {
        let fitted = fitted(&encoded(400, 200, ImageFormat::Jpeg), 128).expect("fitted");
        let png =
            image::load_from_memory_with_format(&fitted.png, ImageFormat::Png).expect("a PNG");
        assert_eq!(png.dimensions(), (128, 128));
        // Above and below the picture: transparent; its middle: the picture.
        assert_eq!(png.get_pixel(64, 2).0[3], 0);
        assert_eq!(png.get_pixel(64, 125).0[3], 0);
        assert_eq!(png.get_pixel(64, 64).0[3], 255);
    }

    #[test]
    fn what_is_not_a_png_jpeg_or_webp_is_refused() {
        assert!(fitted(b"GIF89a not really", 64).is_err());
        assert!(fitted(b"hello", 64).is_err());
        assert!(fitted(b"BM6\0\0\0\0\0\0\x006\0\0\0(\0\0\0", 64).is_err());
    }

    #[test]
    fn a_file_that_decodes_to_a_huge_picture_is_refused_before_decoding() {
        // A PNG header announcing 100,000 × 100,000 pixels: refused by the limits.
        let mut header = Vec::from(&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..]);
        header.extend_from_slice(&100_000_u32.to_be_bytes());
        header.extend_from_slice(&100_000_u32.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        assert!(fitted(&header, 64).is_err());
    }
}
