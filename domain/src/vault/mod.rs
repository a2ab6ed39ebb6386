//! 个人数据宝 (the personal data vault), what every side of it shares: the e-certificate
//! format (SD-JWT VC with 国密, [`sd_jwt`]), revocation ([`status_list`]), and the one verifier
//! the SDK, the BFF and verifier apps all use ([`sd_jwt::verify`]).

pub mod sd_jwt;
pub mod status_list;
