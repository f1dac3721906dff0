//! Blocs: parties negotiating together (the G77, the EU, AOSIS), which can hold stances and red
//! lines jointly.
//!
//! Rules (documented in `docs/status.md`, "Blocs"): a stance whose `party` is a bloc is, for
//! status, diff and claims, the stance of each member of the bloc, given at the same moment; a
//! member's own stance given at the same moment or later replaces it, and a later bloc stance
//! replaces the member's earlier own one. A red line held by a bloc is held by each member: it
//! blocks an item when any member is a signatory.

use serde::{Deserialize, Serialize};

use crate::model::Negotiation;

/// Parties that negotiate together.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bloc {
    pub id: String,
    pub name: String,
    /// Party ids, at least one.
    pub members: Vec<String>,
    /// The member that speaks for the bloc (a chair, a presidency), when the record names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaks_for: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl Negotiation {
    pub fn bloc(&self, id: &str) -> Option<&Bloc> {
        self.blocs.iter().find(|bloc| bloc.id == id)
    }

    /// Whether something held by `holder` (a party or a bloc) is held by `party`: it is the party,
    /// or a bloc the party belongs to.
    pub fn holds_for(&self, holder: &str, party: &str) -> bool {
        holder == party || self.bloc(holder).is_some_and(|bloc| bloc.members.iter().any(|member| member == party))
    }

    /// Whether `holder` (a party or a bloc) is, or has among its members, a signatory.
    pub fn holder_signs(&self, holder: &str) -> bool {
        match self.bloc(holder) {
            Some(bloc) => bloc.members.iter().any(|member| self.is_signatory(member)),
            None => self.is_signatory(holder),
        }
    }
}
