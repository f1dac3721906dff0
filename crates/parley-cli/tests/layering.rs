//! The command modules are adapters side by side: none imports another (they once formed a
//! circle, commands ↔ analysis ↔ record ↔ simulation), and what they share lives in `input`,
//! `output`, `files`, `limits` or the `parley-service` library.

const COMMAND_MODULES: [&str; 6] = ["commands", "analysis", "simulation", "record", "keys", "serve"];

#[test]
fn no_command_module_imports_another() {
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut found = Vec::new();
    for module in COMMAND_MODULES {
        let text = std::fs::read_to_string(format!("{source}/{module}.rs")).expect("the module exists");
        for other in COMMAND_MODULES.iter().filter(|other| **other != module) {
            for pattern in [format!("crate::{other}::"), format!("crate::{other}}}"), format!("crate::{other};")] {
                if text.contains(&pattern) {
                    found.push(format!("{module}.rs uses {pattern}"));
                }
            }
        }
    }
    assert!(found.is_empty(), "command modules import each other: {found:?}");
}
