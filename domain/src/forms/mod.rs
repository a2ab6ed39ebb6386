//! 一表通 · 一件事's form engine: one engine for the phone and the server, so what the SDK
//! checks as a person types is what the BFF checks when the form arrives. Pure code, no I/O.
//! The expression language (`expr`) relevance and constraints are written in, the form
//! definition with the check of answers (`definition`), and forms authored as XLSForm
//! spreadsheets (`xlsform`, feature `xlsform`: the CLI and the BFF read them, the SDK does not).

pub mod definition;
pub mod expr;
pub mod prefill;
pub mod routing;
pub mod submission;
#[cfg(feature = "xlsform")]
pub mod xlsform;
