//! Plain-text tables and optional colour for people.

use std::io::{IsTerminal, Write};

/// Whether to colour, decided once from the flag, the terminal and `NO_COLOR`.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    enabled: bool,
}

#[derive(Clone, Copy, Debug)]
pub enum Tone {
    Good,
    Bad,
    Warn,
    Dim,
    Strong,
}

impl Paint {
    pub fn new(choice: crate::ColorChoice) -> Paint {
        let enabled = match choice {
            crate::ColorChoice::Always => true,
            crate::ColorChoice::Never => false,
            crate::ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
            }
        };
        Paint { enabled }
    }

    pub fn paint(self, text: &str, tone: Tone) -> String {
        if !self.enabled {
            return text.to_owned();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Bad => "31;1",
            Tone::Warn => "33",
            Tone::Dim => "2",
            Tone::Strong => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// A left-aligned table; cells carry an optional tone applied after padding, so widths stay right.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<(String, Option<Tone>)>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table { header: header.iter().map(|cell| (*cell).to_owned()).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<(String, Option<Tone>)>) {
        self.rows.push(cells);
    }

    pub fn write(&self, out: &mut dyn Write, paint: Paint) -> std::io::Result<()> {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|cell| width(cell)).collect();
        for row in &self.rows {
            for (index, (cell, _)) in row.iter().enumerate().take(columns) {
                widths[index] = widths[index].max(width(cell));
            }
        }
        let header: Vec<String> =
            self.header.iter().enumerate().map(|(index, cell)| pad(cell, widths[index], index + 1 == columns)).collect();
        writeln!(out, "{}", paint.paint(&header.join("  "), Tone::Strong))?;
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .take(columns)
                .map(|(index, (cell, tone))| {
                    let padded = pad(cell, widths[index], index + 1 == columns);
                    match tone {
                        Some(tone) => paint.paint(&padded, *tone),
                        None => padded,
                    }
                })
                .collect();
            writeln!(out, "{}", cells.join("  ").trim_end())?;
        }
        Ok(())
    }
}

fn width(text: &str) -> usize {
    text.chars().count()
}

fn pad(text: &str, width_wanted: usize, last: bool) -> String {
    if last {
        return text.to_owned();
    }
    let mut padded = text.to_owned();
    padded.extend(std::iter::repeat_n(' ', width_wanted.saturating_sub(width(text))));
    padded
}

/// Shortens text to `max` characters, ending with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// `1 party`, `2 parties`.
pub fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// Writes `value` as pretty JSON and a line break.
pub fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    // Serialise first, so that a closed pipe surfaces as the plain I/O error it is.
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    out.write_all(text.as_bytes())?;
    Ok(())
}

/// The colour of an item's state.
pub fn state_tone(state: parley_core::status::ItemState) -> Tone {
    use parley_core::status::ItemState;
    match state {
        ItemState::Agreed => Tone::Good,
        ItemState::Blocked => Tone::Bad,
        ItemState::Disputed => Tone::Warn,
        ItemState::Open => Tone::Strong,
        ItemState::Removed => Tone::Dim,
        ItemState::AgreedInPrinciple => Tone::Strong,
    }
}
