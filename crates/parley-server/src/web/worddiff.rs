//! A word-level diff of two texts (`600,000` → `800,000`), as `<del>`/`<ins>` markup.
//!
//! Words are runs of non-space characters; the spaces between them are kept with the word they
//! follow. The diff is a longest common subsequence of words, which is exact and small for an
//! item's text; beyond [`MAX_CELLS`] word pairs the texts are shown as one replacement.

use maud::{Markup, html};

/// The most word pairs the table of the longest common subsequence may hold.
const MAX_CELLS: usize = 4_000_000;

/// One piece of a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// In both texts.
    Same(&'a str),
    /// Only in the old text.
    Removed(&'a str),
    /// Only in the new text.
    Added(&'a str),
}

/// Splits `text` into words, each with the spaces after it.
fn words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (index, character) in text.char_indices() {
        let space = character.is_whitespace();
        if in_space && !space {
            words.push(&text[start..index]);
            start = index;
        }
        in_space = space;
    }
    if start < text.len() {
        words.push(&text[start..]);
    }
    words
}

/// The diff of `old` and `new`, word by word (a word compared without its trailing spaces).
pub fn diff<'a>(old: &'a str, new: &'a str) -> Vec<Piece<'a>> {
    let (a, b) = (words(old), words(new));
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        return vec![Piece::Removed(old), Piece::Added(new)];
    }
    let key = |word: &str| word.trim_end().to_owned();
    let (a_keys, b_keys): (Vec<String>, Vec<String>) = (a.iter().map(|w| key(w)).collect(), b.iter().map(|w| key(w)).collect());
    // lengths[i][j]: the longest common subsequence of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lengths = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lengths[i * width + j] = if a_keys[i] == b_keys[j] {
                lengths[(i + 1) * width + j + 1] + 1
            } else {
                lengths[(i + 1) * width + j].max(lengths[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut pieces = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a_keys[i] == b_keys[j] {
            pieces.push(Piece::Same(b[j]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lengths[(i + 1) * width + j] >= lengths[i * width + j + 1]) {
            // Removed words before added ones: `600,000 → 800,000` reads as a replacement.
            pieces.push(Piece::Removed(a[i]));
            i += 1;
        } else {
            pieces.push(Piece::Added(b[j]));
            j += 1;
        }
    }
    pieces
}

/// The diff as markup: removed words struck through and marked, added words underlined and
/// marked, so that the change reads without colour.
pub fn render(old: &str, new: &str) -> Markup {
    let pieces = diff(old, new);
    html! {
        @for piece in pieces {
            @match piece {
                Piece::Same(text) => (text),
                Piece::Removed(text) => del { span.sr { "[removed: " } (text) span.sr { "]" } },
                Piece::Added(text) => ins { span.sr { "[added: " } (text) span.sr { "]" } },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rebuilding both texts from the pieces must give them back exactly (up to the spaces a
    /// matched word carries, which come from the new text).
    fn check(old: &str, new: &str, expected: &[Piece<'_>]) {
        let pieces = diff(old, new);
        assert_eq!(pieces, expected);
        let rebuilt_new: String = pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Same(text) | Piece::Added(text) => Some(*text),
                Piece::Removed(_) => None,
            })
            .collect();
        assert_eq!(rebuilt_new, new);
    }

    #[test]
    fn a_changed_number_is_one_word_out_and_one_in() {
        check(
            "a cap of 600,000 troops",
            "a cap of 800,000 troops",
            &[
                Piece::Same("a "),
                Piece::Same("cap "),
                Piece::Same("of "),
                Piece::Removed("600,000 "),
                Piece::Added("800,000 "),
                Piece::Same("troops"),
            ],
        );
    }

    #[test]
    fn identical_and_empty_texts() {
        check("", "", &[]);
        check("same words", "same words", &[Piece::Same("same "), Piece::Same("words")]);
        check("", "new", &[Piece::Added("new")]);
        check("old", "", &[Piece::Removed("old")]);
    }

    #[test]
    fn words_in_any_script_are_compared_whole() {
        check("Україна згодна", "Україна не згодна", &[Piece::Same("Україна "), Piece::Added("не "), Piece::Same("згодна")]);
    }

    /// The number of same words is the longest common subsequence, checked against a brute force
    /// over every subsequence of small texts.
    #[test]
    fn the_common_part_is_longest() {
        let texts = ["a b c", "b a c", "a a b", "c b a b", "b", "a c c a"];
        for old in texts {
            for new in texts {
                let same = diff(old, new).iter().filter(|piece| matches!(piece, Piece::Same(_))).count();
                assert_eq!(same, brute_lcs(&words(old), &words(new)), "{old:?} → {new:?}");
            }
        }
    }

    fn brute_lcs(a: &[&str], b: &[&str]) -> usize {
        let mut best = 0;
        for mask in 0u32..(1 << a.len()) {
            let chosen: Vec<&str> = (0..a.len()).filter(|i| mask & (1 << i) != 0).map(|i| a[i].trim_end()).collect();
            let mut position = 0;
            for word in b {
                if position < chosen.len() && word.trim_end() == chosen[position] {
                    position += 1;
                }
            }
            if position == chosen.len() {
                best = best.max(chosen.len());
            }
        }
        best
    }
}
