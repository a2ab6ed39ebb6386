//! 一表通 · 一件事's form engine: one engine for the phone and the server, so what the SDK
//! checks as a person types is what the BFF checks when the form arrives. Pure code, no I/O.
//! So far the expression language (`expr`) that relevance, constraints and calculations are
//! written in; the form definition and its validation build on it.

pub mod expr;
