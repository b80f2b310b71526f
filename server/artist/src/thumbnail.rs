//! Thumbnails: a picture made small for lists and cards, as PNG.

use crate::{Picture, RenderError};

/// `png` resized to `side` × `side` (a Lanczos filter: sharp at a quarter of the size).
pub fn thumbnail(png: &[u8], side: u32) -> Result<Picture, RenderError> {
    let picture = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .map_err(|e| RenderError::Encode(e.to_string()))?;
    let small = picture.resize_exact(side, side, image::imageops::FilterType::Lanczos3);
    let mut bytes = std::io::Cursor::new(Vec::new());
    small
        .write_to(&mut bytes, image::ImageFormat::Png)
        .map_err(|e| RenderError::Encode(e.to_string()))?;
    Ok(Picture {
        png: bytes.into_inner(),
        width: side,
        height: side,
    })
}
