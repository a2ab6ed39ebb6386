//! 一表通 · 一件事's form engine: one engine for the phone and the server, so what the SDK
//! checks as a person types is what the BFF checks when the form arrives. Pure code, no I/O.
//! The expression language (`expr`) relevance and constraints are written in, and the form
//! definition with the check of answers (`definition`).

pub mod definition;
pub mod expr;
