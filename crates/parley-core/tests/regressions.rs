//! Regression tests, each named after what broke.

use parley_core::scenario;
use parley_core::status::Record;
use parley_core::timeline::Point;

/// A red line with no `until` was treated as dropped at the `now` instant, so `parley status`
/// without `--as-of` listed no red lines and blocked nothing.
#[test]
fn red_line_without_until_is_in_force_now() {
    let text = r#"
[negotiation]
id = "x"
title = "X"

[[parties]]
id = "A"
role = "principal"

[[issues]]
id = "cap"
kind = "integer"
min = 0
max = 10

[[items]]
number = 1
title = "Cap"
settles = ["cap"]
proposes = { cap = 3 }

[[red_lines]]
id = "floor"
party = "A"
expr = "cap >= 5"
"#;
    let negotiation = scenario::parse(text).unwrap().negotiation;
    let record = Record::new(&negotiation);
    let status = record.status(&Point::now());
    assert_eq!(status.red_lines.len(), 1);
    assert_eq!(status.red_lines[0].holds, Some(false));
    assert_eq!(status.framework.blocked, 1);
}

/// The bundled scenarios must stay free of errors and warnings.
#[test]
fn bundled_scenarios_read_cleanly() {
    for (name, text) in [
        ("ukraine-2025", include_str!("../../../scenarios/ukraine-2025.toml")),
        ("dockworkers-2026", include_str!("../../../scenarios/dockworkers-2026.toml")),
    ] {
        match scenario::parse(text) {
            Ok(loaded) => assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings),
            Err(problems) => panic!("{name}: {problems:?}"),
        }
    }
}

/// `number - min` overflowed for an integer issue spanning the whole 64-bit range.
#[test]
fn integer_domain_check_does_not_overflow() {
    use parley_core::model::{IssueKind, Value};
    let kind = IssueKind::Integer { min: i64::MIN, max: i64::MAX, step: 2, unit: String::new() };
    assert!(kind.check(&Value::Integer(i64::MAX)).is_err());
    assert!(kind.check(&Value::Integer(i64::MIN)).is_ok());
}

/// A string holding a double quote (`'"'`) was printed inside double quotes, and the printed
/// expression no longer parsed.
#[test]
fn printed_strings_holding_quotes_parse_back() {
    for text in [r#"_<'"'"#, r#"x == 'say "no"'"#, r#"'a"b' in ceded"#, r#"ceded subset ['x"', "y'"]"#, r#"nato in ["it's", '"q"']"#] {
        let expr = parley_core::expr::Expr::parse(text).unwrap();
        let printed = expr.to_string();
        let again = parley_core::expr::Expr::parse(&printed).unwrap_or_else(|error| panic!("{text} printed as {printed}: {error:?}"));
        assert_eq!(again.to_string(), printed, "{text}");
    }
}

/// A red line read back from JSON kept a default expression that always holds; reading now parses
/// the expression again, and refuses one that does not parse.
#[test]
fn red_lines_read_back_with_their_expression_or_not_at_all() {
    let negotiation = scenario::parse(include_str!("../../../scenarios/ukraine-2025.toml")).unwrap().negotiation;
    for red_line in &negotiation.red_lines {
        let json = serde_json::to_string(red_line).unwrap();
        let again: parley_core::model::RedLine = serde_json::from_str(&json).unwrap();
        assert_eq!(again.expr, red_line.expr, "{}", red_line.id);
        let broken = json.replace(&serde_json::to_string(&red_line.expression).unwrap(), "\"troop_cap <=\"");
        let error = serde_json::from_str::<parley_core::model::RedLine>(&broken).unwrap_err();
        assert!(error.to_string().contains("does not parse"), "{error}");
    }
}
