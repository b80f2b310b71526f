//! Reading a QR code out of a camera frame, for the counter's camera scan where the browser
//! has no `BarcodeDetector` (Chromium on Linux and Windows, Firefox): `rqrr`, compiled to
//! wasm. Pure, so it is tested here with codes drawn by the `qrcode` crate.

/// The text of the first readable QR code in an RGBA frame (`width` × `height`, 4 bytes a
/// pixel, as canvas `getImageData` gives it), if any.
pub fn decode_rgba(width: usize, height: usize, rgba: &[u8]) -> Option<String> {
    let luma: Vec<u8> = rgba.chunks_exact(4).map(luma_of).collect();
    if width.checked_mul(height)? != luma.len() {
        return None;
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        // In range by the check above; white (quiet zone) if it ever were not.
        y.checked_mul(width)
            .and_then(|row| row.checked_add(x))
            .and_then(|at| luma.get(at).copied())
            .unwrap_or(u8::MAX)
    });
    image
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
}

/// ITU-R BT.601 brightness of one RGBA pixel.
fn luma_of(pixel: &[u8]) -> u8 {
    let [r, g, b, _] = <[u8; 4]>::try_from(pixel).unwrap_or([u8::MAX; 4]);
    let weighted = 299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b);
    u8::try_from(weighted / 1000).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as a QR code drawn `scale` pixels a module, dark on light, with a quiet zone,
    /// in a frame of `width` × `height` RGBA pixels (the code in its top-left part).
    fn frame(text: &str, scale: usize, width: usize, height: usize) -> Vec<u8> {
        let code = qrcode::QrCode::new(text).expect("a QR code");
        let modules = code.width();
        let colors = code.to_colors();
        let quiet = 4;
        let mut rgba = vec![235_u8; width * height * 4];
        for (at, pixel) in rgba.chunks_exact_mut(4).enumerate() {
            let (x, y) = ((at % width) / scale, (at / width) / scale);
            let module = (x >= quiet && y >= quiet && x - quiet < modules && y - quiet < modules)
                .then(|| colors.get((y - quiet) * modules + (x - quiet)))
                .flatten();
            if module == Some(&qrcode::Color::Dark) {
                pixel.copy_from_slice(&[20, 24, 30, 255]);
            }
        }
        rgba
    }

    #[test]
    fn reads_a_card_code_from_a_frame() {
        let card = "4f6c1f5e-2a7b-4b8e-9d3c-0a1b2c3d4e5f";
        let rgba = frame(card, 6, 640, 480);
        assert_eq!(decode_rgba(640, 480, &rgba).as_deref(), Some(card));
    }

    #[test]
    fn reads_a_payment_code_drawn_small() {
        let rgba = frame("PAY-20261125-8842", 3, 320, 240);
        assert_eq!(
            decode_rgba(320, 240, &rgba).as_deref(),
            Some("PAY-20261125-8842")
        );
    }

    #[test]
    fn an_empty_frame_or_a_wrong_size_reads_nothing() {
        assert_eq!(decode_rgba(64, 48, &vec![200; 64 * 48 * 4]), None);
        assert_eq!(decode_rgba(64, 48, &[0; 16]), None);
        assert_eq!(decode_rgba(usize::MAX, 2, &[0; 16]), None);
    }
}
