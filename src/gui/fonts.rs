//! Glyphs for every script a store may hold. egui's own fonts cover Latin, Greek and
//! Cyrillic; eframe finds a system font for anything else (its `system_fonts` feature:
//! fontconfig, CoreText, DirectWrite; colour emoji included). What neither has comes from three
//! fonts bundled here, asked last, so that an order line "Matcha whisk (茶筅)", a customer
//! "김민준" or a "📦" in a payload reads as text on a machine without such fonts, not as boxes:
//!
//! - Droid Sans Fallback (Apache-2.0): Han, kana, Hangul — 33 000 glyphs, 3.4 MB;
//! - DejaVu Sans (Bitstream Vera licence): Latin with every diacritic (Vietnamese ễ), Arabic,
//!   Hebrew, Armenian, Georgian and symbols — 0.76 MB;
//! - Noto Emoji (SIL OFL), the monochrome emoji egui ships but no longer configures — 0.42 MB.
//!
//! They sit in the binary compressed with zstd (2.0 MB together; see `assets/fonts/`) and are
//! decompressed the first time a character needs one of them, then kept for the process.

use std::sync::{Arc, OnceLock};

use egui::{FallbackRequest, FontData, FontInsert, FontPriority, FontProvider, InsertFontFamily};
use skrifa::MetadataProvider as _;

/// One bundled font: its name in egui and its file, compressed.
struct Bundled {
    name: &'static str,
    compressed: &'static [u8],
    /// The font file, once decompressed; empty if it could not be.
    file: OnceLock<&'static [u8]>,
}

impl Bundled {
    const fn new(name: &'static str, compressed: &'static [u8]) -> Self {
        Self {
            name,
            compressed,
            file: OnceLock::new(),
        }
    }

    /// The font file; decompressed once, and kept (egui keeps the font as long as the
    /// process runs, so it is leaked rather than copied).
    fn file(&self) -> &'static [u8] {
        self.file
            .get_or_init(|| match zstd::decode_all(self.compressed) {
                Ok(file) => Vec::leak(file),
                Err(error) => {
                    eprintln!(
                        "eventlens: the bundled font {} could not be read: {error}",
                        self.name
                    );
                    &[]
                }
            })
    }

    /// Whether the font has a glyph for `c`.
    fn has(&self, c: char) -> bool {
        skrifa::FontRef::new(self.file()).is_ok_and(|font| font.charmap().map(c).is_some())
    }
}

static BUNDLED: [Bundled; 3] = [
    Bundled::new(
        "bundled:DejaVu Sans",
        include_bytes!("../../assets/fonts/DejaVuSans.ttf.zst"),
    ),
    Bundled::new(
        "bundled:Droid Sans Fallback",
        include_bytes!("../../assets/fonts/DroidSansFallback.ttf.zst"),
    ),
    Bundled::new(
        "bundled:Noto Emoji",
        include_bytes!("../../assets/fonts/NotoEmoji-Regular.ttf.zst"),
    ),
];

/// The bundled fonts as an egui font provider: asked for a character that no configured or
/// system font has, it answers with the first bundled font that has it.
#[derive(Debug, Default)]
pub struct BundledFonts;

impl FontProvider for BundledFonts {
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let c = request.cluster.chars().next()?;
        let font = BUNDLED.iter().find(|font| font.has(c))?;
        Some(FontInsert {
            name: font.name.to_owned(),
            data: FontData::from_static(font.file()),
            families: vec![InsertFontFamily {
                family: request.family.clone(),
                priority: FontPriority::Lowest,
            }],
        })
    }
}

/// Installs the bundled fonts after every other source of glyphs in `ctx` (eframe adds the
/// system's before the app is made).
pub fn install(ctx: &egui::Context) {
    ctx.add_font_provider(Arc::new(BundledFonts));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_fonts_cover_the_scripts_of_the_sample() {
        for c in "茶筅山田太郎김민준かカمحمدאễ📦".chars() {
            assert!(BUNDLED.iter().any(|f| f.has(c)), "no bundled font has {c}");
        }
        assert!(!BUNDLED.iter().any(|f| f.has('\u{10FFFF}')));
    }
}
