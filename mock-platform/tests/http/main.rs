//! The mock platform driven over HTTP, as the BFF and the browser drive it.
//!
//! One test binary (modules below) so the workspace links it once.

mod admin;
mod common;
mod departments;
mod faults;
mod gateway;
mod zlb_legal;
mod zlb_miniprogram;
mod zlb_personal;
mod zzd;
mod zzd_work;
