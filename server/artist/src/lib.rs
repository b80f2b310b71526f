//! The Artist without I/O (issue 17): what the offline painter draws, the review every
//! picture passes whoever drew it, and the thumbnails the console shows.
//!
//! - [`Renderer`]: the offline default and the degraded mode of the image provider. From a
//!   prompt and a seed it draws pleasant, distinct pictures — a composition of plates,
//!   bowls, steam, spices and bands in a palette the prompt's words choose, the dish's name
//!   set in a CJK font — the same bytes for the same prompt and seed in every build.
//! - [`review`]: a picture decodes, has the size asked for, and is not blank or nearly one
//!   colour.
//! - [`thumbnail`]: a small PNG of a picture for lists and cards.
//! - [`as_png`]: a provider's JPEG or WebP kept as PNG, as every picture is.
//! - [`fitted`]: a picture the boss uploads (a logo), read within limits and fitted into a
//!   square PNG.

mod format;
mod render;
mod review;
mod thumbnail;
mod upload;

pub use format::as_png;
pub use render::{Renderer, Sketch};
pub use review::{Refusal, Reviewed, review};
pub use thumbnail::thumbnail;
pub use upload::fitted;

/// How many candidates the Artist offers the boss at once.
pub const CANDIDATES: u32 = 4;

/// A picture: its PNG bytes and size.
#[derive(Clone, PartialEq, Eq)]
pub struct Picture {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Picture({}×{}, {} bytes)",
            self.width,
            self.height,
            self.png.len()
        )
    }
}

/// What can go wrong drawing.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the font cannot be read: {0}")]
    Font(String),
    #[error("a picture of {0} px cannot be drawn (64–4096)")]
    Size(u32),
    #[error("the picture cannot be encoded: {0}")]
    Encode(String),
}
