//! Tokens on every backend: shown once, stored hashed, revoked at once.

use parley_store::{NewToken, open_store};

use super::Target;

pub fn tokens_are_stored_hashed_and_revocation_is_immediate(fresh: &dyn Fn() -> Target) {
    let target = fresh();
    let mut store = open_store(&target.url, true).unwrap();
    let new = NewToken { negotiation: "n".into(), viewer: "ua".into(), write: true, label: "Kyiv desk".into() };
    let issued = store.create_token(&new).unwrap();
    let other = store.create_token(&NewToken { viewer: "public".into(), write: false, ..new.clone() }).unwrap();
    assert!(issued.secret.starts_with("parley_") && issued.secret.len() == 7 + 64, "{}", issued.secret.len());
    assert_ne!(issued.secret, other.secret);
    assert!(!format!("{issued:?}").contains(&issued.secret), "Debug must not show the secret");
    // A second connection, as another server process would have, sees the token.
    let mut reader = open_store(&target.url, false).unwrap();
    assert_eq!(reader.token_for(&issued.secret).unwrap(), Some(issued.token.clone()));
    assert_eq!(reader.token_for("parley_00").unwrap(), None);
    let listed = reader.tokens(Some("n")).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(reader.tokens(Some("elsewhere")).unwrap().is_empty());
    assert!(store.revoke_token(&issued.token.id).unwrap());
    assert!(!store.revoke_token(&issued.token.id).unwrap(), "a revoked token is not revoked twice");
    assert_eq!(reader.token_for(&issued.secret).unwrap(), None, "revocation takes effect at once");
    assert!(reader.tokens(None).unwrap().iter().any(|token| token.id == issued.token.id && token.revoked_at.is_some()));
    assert!(reader.token_for(&other.secret).unwrap().is_some());
    // With the head, in one statement: each part as read alone, whether the other is there or not.
    let negotiation = super::scenario("ukraine-2025.toml");
    let id = negotiation.id.clone();
    assert_eq!(reader.token_and_head(&other.secret, &id).unwrap(), (Some(other.token.clone()), None), "an empty log");
    store.import(&negotiation, None).unwrap();
    let head = reader.head(&id).unwrap();
    assert!(head.is_some());
    assert_eq!(reader.token_and_head(&other.secret, &id).unwrap(), (Some(other.token.clone()), head.clone()));
    assert_eq!(reader.token_and_head(&issued.secret, &id).unwrap(), (None, head.clone()), "a revoked token");
    assert_eq!(reader.token_and_head("parley_00", &id).unwrap(), (None, head));
    assert_eq!(reader.token_and_head("parley_00", "elsewhere").unwrap(), (None, None));
    // Many at once, in one statement on PostgreSQL: each answer the one asked alone, in the order
    // asked, repeats included; with no negotiation, the token alone and no head.
    let asked: Vec<(String, Option<String>)> = [
        (&other.secret, Some(id.as_str())),
        (&issued.secret, Some(id.as_str())),
        (&"parley_00".to_owned(), Some(id.as_str())),
        (&other.secret, Some("elsewhere")),
        (&other.secret, None),
        (&issued.secret, None),
        (&other.secret, Some(id.as_str())),
    ]
    .iter()
    .map(|(secret, negotiation)| ((*secret).clone(), negotiation.map(str::to_owned)))
    .collect();
    let alone: Vec<_> = asked
        .iter()
        .map(|(secret, negotiation)| match negotiation {
            Some(negotiation) => reader.token_and_head(secret, negotiation).unwrap(),
            None => (reader.token_for(secret).unwrap(), None),
        })
        .collect();
    assert!(alone.iter().any(|(token, head)| token.is_some() && head.is_none()), "a token asked alone");
    assert_eq!(reader.tokens_and_heads(&asked).unwrap(), alone);
    assert!(reader.tokens_and_heads(&[]).unwrap().is_empty());
}
