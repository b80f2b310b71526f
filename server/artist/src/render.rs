//! The offline painter: pictures composed from shapes and gradients in a palette the
//! prompt's words choose, with the dish's name set in a CJK font. Deterministic: every
//! choice comes from a hash of the prompt, the seed and the candidate's number.

use ab_glyph::{Font, FontVec, OutlineCurve, PxScale, ScaleFont};
use tiny_skia::{
    Color, FillRule, GradientStop, LinearGradient, Paint, Path, PathBuilder, Pixmap, Point,
    RadialGradient, Rect, SpreadMode, Stroke, Transform,
};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::{Picture, RenderError};

/// What to draw.
#[derive(Debug, Clone, Copy)]
pub struct Sketch<'a> {
    /// The image prompt: its words pick the palette (辣 reds, 绿 greens…) and its hash the
    /// rest.
    pub prompt: &'a str,
    /// The dish's name, set on the picture.
    pub title: &'a str,
    /// Which picture: candidates of one request differ by seed (and by composition).
    pub seed: u64,
    /// Width and height in pixels (64–4096).
    pub size: u32,
}

/// Draws pictures with a font; cheap to share (the font is read once).
pub struct Renderer {
    font: FontVec,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renderer")
    }
}

impl Renderer {
    /// With the font in `bytes` (a TrueType/OpenType file, or the first face of a
    /// collection such as `wqy-microhei.ttc`).
    pub fn new(bytes: Vec<u8>) -> Result<Self, RenderError> {
        let font = FontVec::try_from_vec_and_index(bytes, 0)
            .map_err(|e| RenderError::Font(e.to_string()))?;
        Ok(Self { font })
    }

    /// With the font in the file at `path`.
    pub fn from_file(path: &std::path::Path) -> Result<Self, RenderError> {
        let bytes = std::fs::read(path)
            .map_err(|e| RenderError::Font(format!("{}: {e}", path.display())))?;
        Self::new(bytes)
    }

    /// `count` candidates for one request: seeds `seed`, `seed + 1`, … each in another
    /// composition.
    pub fn candidates(
        &self,
        prompt: &str,
        title: &str,
        seed: u64,
        size: u32,
        count: u32,
    ) -> Result<Vec<Picture>, RenderError> {
        (0..u64::from(count))
            .map(|n| {
                self.draw(&Sketch {
                    prompt,
                    title,
                    seed: seed.wrapping_add(n),
                    size,
                })
            })
            .collect()
    }

    /// One picture.
    pub fn draw(&self, sketch: &Sketch<'_>) -> Result<Picture, RenderError> {
        if !(64..=4096).contains(&sketch.size) {
            return Err(RenderError::Size(sketch.size));
        }
        let mut pixmap =
            Pixmap::new(sketch.size, sketch.size).ok_or(RenderError::Size(sketch.size))?;
        let mut dice = Dice::new(sketch.prompt, sketch.seed);
        let palette = Palette::of(sketch.prompt, &mut dice);
        let canvas = Canvas {
            side: px(sketch.size),
        };
        canvas.background(&mut pixmap, &palette, &mut dice);
        match sketch.seed % 4 {
            0 => canvas.plate(&mut pixmap, &palette, &mut dice),
            1 => canvas.bowl(&mut pixmap, &palette, &mut dice),
            2 => canvas.spices(&mut pixmap, &palette, &mut dice),
            _ => canvas.poster(&mut pixmap, &palette, &mut dice),
        }
        canvas.title(&mut pixmap, &self.font, sketch.title, &palette);
        let png = pixmap
            .encode_png()
            .map_err(|e| RenderError::Encode(e.to_string()))?;
        Ok(Picture {
            png,
            width: sketch.size,
            height: sketch.size,
        })
    }
}

/// A picture's choices, one hash at a time.
struct Dice {
    seed: u64,
    rolled: u64,
}

impl Dice {
    fn new(prompt: &str, seed: u64) -> Self {
        Self {
            seed: xxh3_64_with_seed(prompt.as_bytes(), seed),
            rolled: 0,
        }
    }

    /// A number in [0, 1).
    fn unit(&mut self) -> f32 {
        self.rolled = self.rolled.wrapping_add(1);
        let bits = xxh3_64_with_seed(&self.rolled.to_le_bytes(), self.seed) >> 48;
        f32::from(u16::try_from(bits).unwrap_or(0)) / 65_536.0
    }

    /// A number in [low, high).
    fn between(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.unit()
    }
}

fn px(n: u32) -> f32 {
    f32::from(u16::try_from(n).unwrap_or(u16::MAX))
}

/// Colours of one picture.
struct Palette {
    sky: [Color; 2],
    plate: Color,
    dish: [Color; 2],
    accent: Color,
    ink: Color,
}

/// A colour scheme: the words that call for it, then its sky, dish and accent in RGB.
type Scheme = (&'static [&'static str], [u32; 2], [u32; 2], u32);

/// Warm or fresh schemes a prompt's words lead to.
const SCHEMES: [Scheme; 5] = [
    (
        &["辣", "麻", "红", "椒", "小龙虾", "火锅", "spicy", "chili"],
        [0x7a1e12, 0xe0582b],
        [0xc8361d, 0xf2a03d],
        0xffd166,
    ),
    (
        &["绿", "青", "素", "茶", "菜", "green", "tea"],
        [0x1f4d3a, 0x7fb77e],
        [0x3e8e4e, 0xc9e4a6],
        0xf6e7b0,
    ),
    (
        &["甜", "蛋", "金", "黄", "糕", "sweet", "gold"],
        [0x6b3d12, 0xf2b84b],
        [0xe39b2d, 0xfbe3a1],
        0xfff3d6,
    ),
    (
        &["鱼", "海", "虾", "蓝", "fish", "sea"],
        [0x12355b, 0x4fa3c7],
        [0xe88d67, 0xf5d0b5],
        0xfdf0d5,
    ),
    (
        &["鸭", "卤", "酱", "肉", "duck", "braised"],
        [0x3b1f14, 0xa8643a],
        [0x8c3b1f, 0xd9894a],
        0xf4d06f,
    ),
];

fn rgb(hex: u32, shade: f32) -> Color {
    let channel = |shift: u32| {
        let value = f32::from(u8::try_from((hex >> shift) & 0xff).unwrap_or(0));
        (value / 255.0 * shade).clamp(0.0, 1.0)
    };
    Color::from_rgba(channel(16), channel(8), channel(0), 1.0).unwrap_or(Color::BLACK)
}

impl Palette {
    fn of(prompt: &str, dice: &mut Dice) -> Self {
        let lower = prompt.to_lowercase();
        let by_words = SCHEMES
            .iter()
            .find(|(words, ..)| words.iter().any(|word| lower.contains(word)));
        let by_hash = || {
            let pick = (dice.unit() * 5.0).floor();
            SCHEMES
                .iter()
                .zip(0_u8..)
                .find(|(_, n)| f32::from(*n) >= pick)
                .map(|(scheme, _)| scheme)
        };
        let chosen = by_words.or_else(by_hash).or(SCHEMES.first());
        let (sky, dish, accent) = chosen.map_or(
            ([0x7a1e12, 0xe0582b], [0xc8361d, 0xf2a03d], 0xffd166),
            |(_, sky, dish, accent)| (*sky, *dish, *accent),
        );
        // Each candidate lights its scheme a little differently.
        let shade = dice.between(0.85, 1.12);
        let [sky_dark, sky_light] = sky;
        let [dish_dark, dish_light] = dish;
        Self {
            sky: [rgb(sky_dark, shade), rgb(sky_light, shade)],
            plate: rgb(0xfaf6ee, 1.0),
            dish: [rgb(dish_dark, shade), rgb(dish_light, shade)],
            accent: rgb(accent, 1.0),
            ink: rgb(0x241510, 1.0),
        }
    }
}

fn paint(color: Color) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color(color);
    paint.anti_alias = true;
    paint
}

fn with_alpha(color: Color, alpha: f32) -> Color {
    let mut color = color;
    color.set_alpha(alpha);
    color
}

/// The square the composition is laid out on.
struct Canvas {
    side: f32,
}

impl Canvas {
    fn at(&self, x: f32, y: f32) -> Point {
        Point::from_xy(x * self.side, y * self.side)
    }

    fn fill(&self, pixmap: &mut Pixmap, path: Option<Path>, paint: &Paint<'_>) {
        if let Some(path) = path {
            pixmap.fill_path(&path, paint, FillRule::Winding, Transform::identity(), None);
        }
    }

    fn circle(&self, x: f32, y: f32, radius: f32) -> Option<Path> {
        PathBuilder::from_circle(x * self.side, y * self.side, radius * self.side)
    }

    fn oval(&self, x: f32, y: f32, half_w: f32, half_h: f32) -> Option<Path> {
        let rect = Rect::from_ltrb(
            (x - half_w) * self.side,
            (y - half_h) * self.side,
            (x + half_w) * self.side,
            (y + half_h) * self.side,
        )?;
        PathBuilder::from_oval(rect)
    }

    /// A gradient of the palette's sky at an angle the dice choose.
    fn background(&self, pixmap: &mut Pixmap, palette: &Palette, dice: &mut Dice) {
        let [dark, light] = palette.sky;
        let angle = dice.between(0.0, std::f32::consts::TAU);
        let (dx, dy) = (angle.cos() * 0.5, angle.sin() * 0.5);
        let mut sky = Paint::default();
        if let Some(shader) = LinearGradient::new(
            self.at(0.5 - dx, 0.5 - dy),
            self.at(0.5 + dx, 0.5 + dy),
            vec![GradientStop::new(0.0, dark), GradientStop::new(1.0, light)],
            SpreadMode::Pad,
            Transform::identity(),
        ) {
            sky.shader = shader;
        }
        if let Some(rect) = Rect::from_xywh(0.0, 0.0, self.side, self.side) {
            pixmap.fill_rect(rect, &sky, Transform::identity(), None);
        }
        // A soft glow where the dish will be.
        let mut glow = Paint::default();
        if let Some(shader) = RadialGradient::new(
            self.at(0.5, 0.45),
            self.at(0.5, 0.45),
            0.55 * self.side,
            vec![
                GradientStop::new(0.0, with_alpha(palette.accent, 0.35)),
                GradientStop::new(1.0, with_alpha(palette.accent, 0.0)),
            ],
            SpreadMode::Pad,
            Transform::identity(),
        ) {
            glow.shader = shader;
        }
        if let Some(rect) = Rect::from_xywh(0.0, 0.0, self.side, self.side) {
            pixmap.fill_rect(rect, &glow, Transform::identity(), None);
        }
    }

    /// A dish heaped on a plate, steam rising.
    fn plate(&self, pixmap: &mut Pixmap, palette: &Palette, dice: &mut Dice) {
        let (x, y) = (dice.between(0.44, 0.56), dice.between(0.42, 0.5));
        self.fill(
            pixmap,
            self.oval(x, y + 0.03, 0.36, 0.2),
            &paint(with_alpha(palette.ink, 0.25)),
        );
        self.fill(pixmap, self.oval(x, y, 0.36, 0.2), &paint(palette.plate));
        self.fill(
            pixmap,
            self.oval(x, y, 0.27, 0.14),
            &paint(with_alpha(palette.sky[0], 0.12)),
        );
        self.heap(pixmap, palette, dice, x, y - 0.03, 0.2);
        self.steam(pixmap, palette, dice, x, y - 0.2);
    }

    /// A bowl with chopsticks across it.
    fn bowl(&self, pixmap: &mut Pixmap, palette: &Palette, dice: &mut Dice) {
        let (x, y) = (dice.between(0.44, 0.56), dice.between(0.45, 0.52));
        let width = dice.between(0.3, 0.36);
        self.heap(pixmap, palette, dice, x, y - 0.04, width * 0.8);
        let mut body = PathBuilder::new();
        body.move_to((x - width) * self.side, y * self.side);
        body.cubic_to(
            (x - width) * self.side,
            (y + 0.3) * self.side,
            (x + width) * self.side,
            (y + 0.3) * self.side,
            (x + width) * self.side,
            y * self.side,
        );
        body.close();
        self.fill(pixmap, body.finish(), &paint(palette.plate));
        self.fill(
            pixmap,
            self.oval(x, y, width, 0.035),
            &paint(palette.accent),
        );
        let mut sticks = paint(palette.ink);
        sticks.anti_alias = true;
        let stroke = Stroke {
            width: 0.018 * self.side,
            line_cap: tiny_skia::LineCap::Round,
            ..Stroke::default()
        };
        let tilt = dice.between(-0.08, 0.08);
        for offset in [0.0, 0.045] {
            let mut line = PathBuilder::new();
            line.move_to(
                (x + 0.05 + offset) * self.side,
                (y - 0.32 + tilt) * self.side,
            );
            line.line_to((x + 0.32 + offset) * self.side, (y - 0.02) * self.side);
            if let Some(path) = line.finish() {
                pixmap.stroke_path(&path, &sticks, &stroke, Transform::identity(), None);
            }
        }
    }

    /// Spices and petals scattered round a round badge.
    fn spices(&self, pixmap: &mut Pixmap, palette: &Palette, dice: &mut Dice) {
        for _ in 0..60 {
            let (x, y) = (dice.unit(), dice.unit());
            let radius = dice.between(0.006, 0.03);
            let color = if dice.unit() < 0.5 {
                palette.dish[0]
            } else {
                palette.accent
            };
            self.fill(
                pixmap,
                self.circle(x, y, radius),
                &paint(with_alpha(color, dice.between(0.4, 0.9))),
            );
        }
        let (x, y) = (dice.between(0.46, 0.54), dice.between(0.4, 0.48));
        self.fill(
            pixmap,
            self.circle(x, y + 0.015, 0.3),
            &paint(with_alpha(palette.ink, 0.3)),
        );
        self.fill(pixmap, self.circle(x, y, 0.3), &paint(palette.plate));
        self.heap(pixmap, palette, dice, x, y, 0.19);
    }

    /// Bands of colour under a rising sun, the dish in front.
    fn poster(&self, pixmap: &mut Pixmap, palette: &Palette, dice: &mut Dice) {
        let sun = dice.between(0.22, 0.32);
        self.fill(
            pixmap,
            self.circle(dice.between(0.3, 0.7), 0.36, sun),
            &paint(with_alpha(palette.accent, 0.85)),
        );
        let bands: u8 = if dice.unit() < 0.5 { 3 } else { 4 };
        for band in 0..bands {
            let top = 0.5 + f32::from(band) * 0.07;
            let mut wave = PathBuilder::new();
            wave.move_to(0.0, top * self.side);
            wave.quad_to(
                0.5 * self.side,
                (top - dice.between(0.02, 0.08)) * self.side,
                self.side,
                top * self.side,
            );
            wave.line_to(self.side, self.side);
            wave.line_to(0.0, self.side);
            wave.close();
            let color = if band % 2 == 0 {
                palette.dish[0]
            } else {
                palette.sky[0]
            };
            self.fill(pixmap, wave.finish(), &paint(with_alpha(color, 0.55)));
        }
        let x = dice.between(0.42, 0.58);
        self.heap(pixmap, palette, dice, x, 0.52, 0.22);
    }

    /// The food itself: overlapping rounded pieces in the dish's two colours.
    fn heap(
        &self,
        pixmap: &mut Pixmap,
        palette: &Palette,
        dice: &mut Dice,
        x: f32,
        y: f32,
        spread: f32,
    ) {
        let [dark, light] = palette.dish;
        for piece in 0..14_u8 {
            let angle = dice.between(0.0, std::f32::consts::TAU);
            let reach = spread * dice.unit().sqrt();
            let (px_, py) = (x + angle.cos() * reach, y + angle.sin() * reach * 0.55);
            let radius = dice.between(0.035, 0.07);
            let mut shade = Paint {
                anti_alias: true,
                ..Paint::default()
            };
            if let Some(shader) = RadialGradient::new(
                self.at(px_ - radius * 0.3, py - radius * 0.3),
                self.at(px_, py),
                radius * self.side,
                vec![GradientStop::new(0.0, light), GradientStop::new(1.0, dark)],
                SpreadMode::Pad,
                Transform::identity(),
            ) {
                shade.shader = shader;
            }
            let squash = if piece % 3 == 0 { 0.6 } else { 0.8 };
            self.fill(pixmap, self.oval(px_, py, radius, radius * squash), &shade);
        }
        // Herbs on top.
        for _ in 0..8 {
            let (hx, hy) = (
                x + dice.between(-spread, spread) * 0.8,
                y + dice.between(-0.05, 0.05),
            );
            self.fill(
                pixmap,
                self.oval(hx, hy, 0.012, 0.006),
                &paint(rgb(0x4f9d3a, 1.0)),
            );
        }
    }

    /// Three wisps of steam.
    fn steam(&self, pixmap: &mut Pixmap, palette: &Palette, dice: &mut Dice, x: f32, y: f32) {
        let stroke = Stroke {
            width: 0.012 * self.side,
            line_cap: tiny_skia::LineCap::Round,
            ..Stroke::default()
        };
        let wisp = paint(with_alpha(palette.plate, 0.6));
        for n in [-1.0_f32, 0.0, 1.0] {
            let start = x + n * 0.07;
            let mut path = PathBuilder::new();
            path.move_to(start * self.side, y * self.side);
            let sway = dice.between(0.02, 0.05);
            path.cubic_to(
                (start - sway) * self.side,
                (y - 0.06) * self.side,
                (start + sway) * self.side,
                (y - 0.1) * self.side,
                start * self.side,
                (y - 0.16) * self.side,
            );
            if let Some(path) = path.finish() {
                pixmap.stroke_path(&path, &wisp, &stroke, Transform::identity(), None);
            }
        }
    }

    /// The dish's name across the bottom, in the font, with a shadow; scaled down to fit.
    fn title(&self, pixmap: &mut Pixmap, font: &FontVec, title: &str, palette: &Palette) {
        let title: String = title.chars().filter(|c| !c.is_control()).take(16).collect();
        if title.is_empty() {
            return;
        }
        let mut height = 0.11 * self.side;
        let width_at = |height: f32| {
            let scaled = font.as_scaled(PxScale::from(height));
            title
                .chars()
                .map(|c| scaled.h_advance(font.glyph_id(c)))
                .sum::<f32>()
        };
        let room = 0.86 * self.side;
        let wide = width_at(height);
        if wide > room {
            height *= room / wide;
        }
        let left = (self.side - width_at(height)) / 2.0;
        let baseline = 0.9 * self.side;
        let band = Rect::from_ltrb(0.0, baseline - height * 1.15, self.side, self.side);
        if let Some(band) = band {
            pixmap.fill_rect(
                band,
                &paint(with_alpha(palette.ink, 0.45)),
                Transform::identity(),
                None,
            );
        }
        let text = text_path(font, &title, height, left, baseline);
        let shadow = Transform::from_translate(0.006 * self.side, 0.006 * self.side);
        if let Some(text) = text {
            pixmap.fill_path(
                &text,
                &paint(with_alpha(palette.ink, 0.8)),
                FillRule::Winding,
                shadow,
                None,
            );
            pixmap.fill_path(
                &text,
                &paint(palette.plate),
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
    }
}

/// `text` as one path: each glyph's outline scaled to `height` px, from `left` on the
/// `baseline`.
fn text_path(font: &FontVec, text: &str, height: f32, left: f32, baseline: f32) -> Option<Path> {
    let scaled = font.as_scaled(PxScale::from(height));
    let (sx, sy) = (scaled.h_scale_factor(), scaled.v_scale_factor());
    let mut builder = PathBuilder::new();
    let mut pen = left;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(outline) = font.outline(id) {
            let place = |p: ab_glyph::Point| (pen + p.x * sx, baseline - p.y * sy);
            let mut last: Option<ab_glyph::Point> = None;
            for curve in &outline.curves {
                let (start, end) = match *curve {
                    OutlineCurve::Line(a, b) | OutlineCurve::Quad(a, _, b) => (a, b),
                    OutlineCurve::Cubic(a, _, _, b) => (a, b),
                };
                if last.is_none_or(|l| l != start) {
                    if last.is_some() {
                        builder.close();
                    }
                    let (x, y) = place(start);
                    builder.move_to(x, y);
                }
                match *curve {
                    OutlineCurve::Line(_, b) => {
                        let (x, y) = place(b);
                        builder.line_to(x, y);
                    }
                    OutlineCurve::Quad(_, c, b) => {
                        let ((cx, cy), (x, y)) = (place(c), place(b));
                        builder.quad_to(cx, cy, x, y);
                    }
                    OutlineCurve::Cubic(_, c1, c2, b) => {
                        let ((ax, ay), (bx, by), (x, y)) = (place(c1), place(c2), place(b));
                        builder.cubic_to(ax, ay, bx, by, x, y);
                    }
                }
                last = Some(end);
            }
            if last.is_some() {
                builder.close();
            }
        }
        pen += scaled.h_advance(id);
    }
    builder.finish()
}
