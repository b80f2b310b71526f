//! Pictures as the app keeps them: PNG. Providers answer in PNG, JPEG or WebP; anything
//! else is refused as undecodable.

use std::borrow::Cow;

use crate::Refusal;

/// The eight bytes every PNG file starts with.
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// `bytes` as PNG: a PNG as it is; a JPEG or WebP decoded and encoded again as PNG (its
/// pixels unchanged, its metadata dropped).
pub fn as_png(bytes: &[u8]) -> Result<Cow<'_, [u8]>, Refusal> {
    if bytes.starts_with(PNG_SIGNATURE) {
        return Ok(Cow::Borrowed(bytes));
    }
    let format = image::guess_format(bytes).map_err(|e| Refusal::Undecodable(e.to_string()))?;
    if !matches!(format, image::ImageFormat::Jpeg | image::ImageFormat::WebP) {
        return Err(Refusal::Undecodable(format!(
            "{format:?} is not one of PNG, JPEG or WebP"
        )));
    }
    let picture = image::load_from_memory_with_format(bytes, format)
        .map_err(|e| Refusal::Undecodable(e.to_string()))?;
    let mut png = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| Refusal::Undecodable(e.to_string()))?;
    Ok(Cow::Owned(png.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> image::RgbImage {
        image::RgbImage::from_fn(64, 48, |x, y| {
            let (x, y) = (
                u8::try_from(x * 4).unwrap_or(0),
                u8::try_from(y * 5).unwrap_or(0),
            );
            image::Rgb([x, y, 128])
        })
    }

    fn encoded(format: image::ImageFormat) -> Vec<u8> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        sample().write_to(&mut bytes, format).expect("encodes");
        bytes.into_inner()
    }

    fn decoded(png: &[u8]) -> image::RgbImage {
        image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .expect("a PNG")
            .to_rgb8()
    }

    #[test]
    fn a_png_is_kept_as_it_is() {
        let png = encoded(image::ImageFormat::Png);
        assert!(matches!(as_png(&png), Ok(Cow::Borrowed(kept)) if kept == png.as_slice()));
    }

    #[test]
    fn a_jpeg_and_a_webp_become_pngs_of_the_same_picture() {
        // WebP is written losslessly by the encoder: the pixels come back exactly.
        let webp = encoded(image::ImageFormat::WebP);
        let webp = as_png(&webp).expect("a WebP reads");
        assert_eq!(decoded(&webp), sample());
        // JPEG is lossy: the same size, and close.
        let jpeg = encoded(image::ImageFormat::Jpeg);
        let jpeg = as_png(&jpeg).expect("a JPEG reads");
        let back = decoded(&jpeg);
        assert_eq!(back.dimensions(), (64, 48));
        let far = back
            .pixels()
            .zip(sample().pixels())
            .flat_map(|(a, b)| a.0.into_iter().zip(b.0).map(|(a, b)| a.abs_diff(b)))
            .max()
            .unwrap_or(u8::MAX);
        assert!(far < 40, "{far}");
    }

    #[test]
    fn anything_else_is_refused() {
        for bytes in [&b"GIF89a\x01\x00\x01\x00"[..], b"<svg/>", b"", b"\x89PNG"] {
            assert!(
                matches!(as_png(bytes), Err(Refusal::Undecodable(_))),
                "{bytes:?}"
            );
        }
    }
}
