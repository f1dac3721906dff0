//! Problems found in input, located in the source text.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem: where it is (a field path and, for files, a line and column) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The field, as a path such as `stances[3].item` (empty for the whole document).
    pub path: String,
    /// 1-based line and column, when the input was a text.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// What is wrong, followed where useful by what was expected in parentheses.
    pub message: String,
}

impl Diagnostic {
    /// The diagnostic as `file:line:column: path: message`, the form editors jump to.
    pub fn render(&self, file: &str) -> String {
        let mut out = String::new();
        out.push_str(file);
        if let (Some(line), Some(column)) = (self.line, self.column) {
            out.push_str(&format!(":{line}:{column}"));
        }
        out.push_str(": ");
        if self.severity == Severity::Warning {
            out.push_str("warning: ");
        }
        if !self.path.is_empty() {
            out.push_str(&self.path);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        // One line on a terminal, whatever the file's text held (`crate::display`).
        crate::display::escape_controls(&out).into_owned()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("<input>"))
    }
}

/// Maps byte offsets of a text to 1-based lines and columns (columns count characters).
///
/// The line table is built on first use: valid files never need it.
#[derive(Debug)]
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        LineIndex { text, line_starts: std::cell::OnceCell::new() }
    }

    pub fn locate(&self, offset: usize) -> (usize, usize) {
        let line_starts = self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(self.text.match_indices('\n').map(|(index, _)| index + 1));
            starts
        });
        let offset = offset.min(self.text.len());
        let line = line_starts.partition_point(|&start| start <= offset) - 1;
        let start = line_starts[line];
        let column = self.text.get(start..offset).map_or(offset - start, |prefix| prefix.chars().count());
        (line + 1, column + 1)
    }

    pub fn diagnostic(&self, severity: Severity, path: String, span: Option<Range<usize>>, message: String) -> Diagnostic {
        let (line, column) = match span {
            Some(span) => {
                let (line, column) = self.locate(span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        Diagnostic { severity, path, line, column, message }
    }
}

/// Levenshtein distance, for "did you mean" hints on misspelt names.
pub(crate) fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut previous: Vec<usize> = (0..=right.len()).collect();
    for (i, left_char) in left.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, right_char) in right.iter().enumerate() {
            let substitution = previous[j] + usize::from(left_char != *right_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[right.len()]
}

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo.
pub(crate) fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len().max(name.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns() {
        let index = LineIndex::new("ab\ncdé\nf");
        assert_eq!(index.locate(0), (1, 1));
        assert_eq!(index.locate(3), (2, 1));
        assert_eq!(index.locate(8), (3, 1));
        assert_eq!(index.locate(7), (2, 4));
        assert_eq!(index.locate(99), (3, 2));
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(suggest("postion", ["position", "party", "item"]), Some("position"));
        assert_eq!(suggest("zzz", ["position", "party"]), None);
    }
}
